//go:build unix

package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestInstanceLockInProcess(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "planbot.db")
	release, err := AcquireInstanceLock(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(LockPath(dbPath))
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, %v; want our pid", b, err)
	}
	// A second open file description conflicts, even in this process.
	_, err = AcquireInstanceLock(dbPath)
	if !errors.Is(err, ErrInstanceRunning) {
		t.Fatalf("second acquire: %v, want ErrInstanceRunning", err)
	}
	want := fmt.Sprintf("another planbot (pid %d) is already running on %s", os.Getpid(), dbPath)
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	release, err = AcquireInstanceLock(dbPath)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	release()
	if _, err := AcquireInstanceLock(filepath.Join(t.TempDir(), "missing", "planbot.db")); err == nil {
		t.Error("locked in a directory that does not exist")
	}
}

const lockHelperEnv = "PLANBOT_TEST_LOCK_HOLDER"

// TestInstanceLockHolder is not a test: run with lockHelperEnv set, it is
// the child process of TestInstanceLockOtherProcess. It takes the lock,
// says so, and waits until its stdin closes or it is killed.
func TestInstanceLockHolder(t *testing.T) {
	dbPath := os.Getenv(lockHelperEnv)
	if dbPath == "" {
		t.Skip("helper process only")
	}
	if _, err := AcquireInstanceLock(dbPath); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// Another process holding the lock keeps us out, with its pid in the
// message; killed with SIGKILL, it holds nothing.
func TestInstanceLockOtherProcess(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "planbot.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestInstanceLockHolder$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dbPath)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	_, err = AcquireInstanceLock(dbPath)
	if !errors.Is(err, ErrInstanceRunning) {
		t.Errorf("acquire while the child holds it: %v", err)
	} else if want := fmt.Sprintf("(pid %d)", cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not name the child %s", err, want)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	cmd.Wait()
	release, err := AcquireInstanceLock(dbPath)
	if err != nil {
		t.Fatalf("acquire after the holder was killed: %v", err)
	}
	release()
}
