//go:build unix

package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"planbot/config"
)

// The secret of the fixture token in testdata/planbot.env and secret.yaml:
// no message may hold it.
const fixtureSecret = "AAHfixtureSecret"

// loadErrors loads path, expecting config.Errors, within bound: a loader
// that blocks on a FIFO must fail the test, not hang it.
func loadErrors(t *testing.T, path string) []string {
	t.Helper()
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		_, err := config.Load(path)
		done <- result{err}
	}()
	var err error
	select {
	case r := <-done:
		err = r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("Load(%s) still blocked after 10s", path)
	}
	var list config.Errors
	if !errors.As(err, &list) {
		t.Fatalf("Load = %v, want config.Errors", err)
	}
	return strings.Split(list.Error(), "\n")
}

// copyFixture copies testdata/name into a fresh directory, where the test
// can make what git cannot hold (a FIFO, a symlink to a device, a big file).
func copyFixture(t *testing.T, name string) (dir, path string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// An include is a regular .yaml file under the main file's directory, at
// most 1 MiB; anything else is refused without being read, and the
// refusal never quotes the file.
func TestIncludeConfined(t *testing.T) {
	big := strings.Repeat("# padding\n", 110_000) // 1.05 MiB of comments
	tests := []struct {
		file  string
		setup func(t *testing.T, dir string)
		want  string // %s is the directory the fixture was loaded from
	}{
		{file: "include_absolute.yaml",
			want: `%s/include_absolute.yaml:2: include[1]: 不能包含 "/etc/passwd"：这是绝对路径；include 只能写主文件所在目录里 .yaml 文件的相对路径，如 people.yaml`},
		{file: "include_device.yaml",
			want: `%s/include_device.yaml:2: include[1]: 不能包含 "/dev/zero"：这是绝对路径；include 只能写主文件所在目录里 .yaml 文件的相对路径，如 people.yaml`},
		{file: "include_escape.yaml",
			want: `%s/include_escape.yaml:2: include[1]: 不能包含 "../../config.example.yaml"：它在主文件所在目录（%s）之外；include 只能包含这个目录及其子目录里的文件`},
		{file: "include_env.yaml",
			want: `%s/include_env.yaml:2: include[1]: 不能包含 "planbot.env"：只能包含 .yaml 或 .yml 配置文件（令牌等机密不要放进配置）`},
		{file: "include_secret.yaml",
			want: `%s/secret.yaml:1: 文件内容不是“键: 值”的映射：配置文件由 year:、people:、items: 这样的键组成（是否包含错了文件？）`},
		{file: "include_fifo.yaml",
			setup: func(t *testing.T, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o600); err != nil {
					t.Skip("no FIFO here:", err)
				}
			},
			want: `%s/include_fifo.yaml:3: include[1]: 不能包含 "pipe.yaml"：它不是普通文件，而是命名管道（FIFO）`},
		{file: "include_symlink.yaml",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			want: `%s/include_symlink.yaml:3: include[1]: 不能包含 "zero.yaml"：它是指向主文件所在目录（%s）之外的链接；include 只能包含这个目录及其子目录里的文件`},
		{file: "include_big.yaml",
			setup: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(big), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: `%s/include_big.yaml:3: include[1]: 不能包含 "big.yaml"：文件大于 1 MiB；每个配置文件最多 1 MiB`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := "testdata"
			path := filepath.Join(dir, tt.file)
			if tt.setup != nil {
				dir, path = copyFixture(t, tt.file)
				tt.setup(t, dir)
			}
			got := loadErrors(t, path)
			want := strings.ReplaceAll(tt.want, "%s", dir)
			if strings.Join(got, "\n") != want {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
			}
			for _, line := range got {
				if strings.Contains(line, "root:") || strings.Contains(line, fixtureSecret) {
					t.Errorf("a message quotes a refused or secret file: %s", line)
				}
			}
		})
	}
}

// The main file is held to the same rules as an include, but for where it
// is: the admin named it.
func TestMainFileCapped(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("year: 2027\n"+strings.Repeat("# padding\n", 110_000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(loadErrors(t, big), "\n"), big+": 文件大于 1 MiB；每个配置文件最多 1 MiB"; got != want {
		t.Errorf("a main file over 1 MiB:\n%s\nwant:\n%s", got, want)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO here:", err)
	}
	if got, want := strings.Join(loadErrors(t, fifo), "\n"), fifo+": 不是普通文件，而是命名管道（FIFO）：请指定一个 .yaml 配置文件"; got != want {
		t.Errorf("a main file that is a FIFO:\n%s\nwant:\n%s", got, want)
	}
}

// An include symlinked to a file inside the directory is fine: the rule is
// where the file really is.
func TestIncludeSymlinkInside(t *testing.T) {
	dir := t.TempDir()
	people, err := os.ReadFile("testdata/include_people.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "sub", "people.yaml"), people, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/people.yaml", filepath.Join(dir, "people.yaml")); err != nil {
		t.Fatal(err)
	}
	main := "year: 2027\ninclude: [people.yaml]\n"
	if err := os.WriteFile(filepath.Join(dir, "main.yaml"), []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	got := loadErrors(t, filepath.Join(dir, "main.yaml"))
	if len(got) == 0 || !strings.Contains(got[0], "people.yaml:12: people[3].roles[2]") {
		t.Errorf("an include linked inside the directory must be read; got:\n%s", strings.Join(got, "\n"))
	}
}

// An alias bomb (3,000 aliases of a 10,000-element list, 75 kB on disk,
// 30 million values once expanded) is refused once the expanded values pass
// the cap, with one message and bounded memory.
func TestAliasBomb(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := loadErrors(t, "testdata/alias_bomb.yaml")
	runtime.ReadMemStats(&after)
	want := []string{
		`testdata/alias_bomb.yaml:6: sections[1].leader: 应为文字，而不是列表`,
		`testdata/alias_bomb.yaml:27: items[20].owners: 内容太多：引用 *a 展开后全部配置超过 200000 个值；请不要用引用（*别名）复制大段内容`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Errorf("loading the bomb allocated %d MiB, want under 256 MiB", alloc>>20)
	}
}

// A value that looks like a bot token is never repeated in a message.
func TestTokenRedactedInMessages(t *testing.T) {
	got := loadErrors(t, "testdata/token_in_value.yaml")
	want := `testdata/token_in_value.yaml:2: timezone: 不认识的时区 "[令牌已隐去]"：应为 IANA 时区名，如 Asia/Shanghai`
	if strings.Join(got, "\n") != want {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}
