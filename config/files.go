package config

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Limits on what a load reads. A township's plan is tens of kilobytes and
// a few thousand values; the caps are far above that and far below what
// would hurt a small server.
const (
	// MaxFileSize caps each file, the main one and every include.
	MaxFileSize = 1 << 20
	// MaxValues caps the values (YAML nodes) decoded in one load, counting
	// each alias as the nodes it expands to: a file of 75 kB can otherwise
	// expand to tens of millions.
	MaxValues = 200_000
	// MaxIncludes caps the files the main file may include.
	MaxIncludes = 100
)

// refusal is a file not read, with what the admin is told. It never holds
// anything from the file itself.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func refuse(format string, args ...any) error {
	return &refusal{fmt.Sprintf(format, args...)}
}

// includePath resolves an include named in the main file in dir: a
// relative path to a .yaml file that really (after symlinks) lies in dir
// or below. It returns the path to open and the path to show.
func includePath(dir, name string) (open, display string, err error) {
	display = filepath.Join(dir, name)
	if filepath.IsAbs(name) {
		return "", display, refuse("不能包含 %q：这是绝对路径；include 只能写主文件所在目录里 .yaml 文件的相对路径，如 people.yaml", name)
	}
	if ext := strings.ToLower(filepath.Ext(name)); ext != ".yaml" && ext != ".yml" {
		// An env file or a key next to the config must never be read
		// into a message.
		return "", display, refuse("不能包含 %q：只能包含 .yaml 或 .yml 配置文件（令牌等机密不要放进配置）", name)
	}
	if !inside(dir, display) {
		return "", display, refuse("不能包含 %q：它在主文件所在目录（%s）之外；include 只能包含这个目录及其子目录里的文件", name, dir)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", display, err
	}
	real, err := filepath.EvalSymlinks(display)
	if err != nil {
		return "", display, err
	}
	if !inside(realDir, real) {
		return "", display, refuse("不能包含 %q：它是指向主文件所在目录（%s）之外的链接；include 只能包含这个目录及其子目录里的文件", name, dir)
	}
	return real, display, nil
}

// inside reports whether path lies in dir or below, by the names alone.
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// readRegular reads a regular file of at most MaxFileSize. The mode is
// checked before the open, and the open does not block, so a FIFO or a
// device (/dev/zero) is refused instead of hanging or filling memory;
// the mode is checked again on what was opened, in case the file was
// swapped in between. include says how a refusal is worded.
func readRegular(path, name string, include bool) ([]byte, error) {
	prefix := ""
	if include {
		prefix = fmt.Sprintf("不能包含 %q：它", name)
	}
	check := func(fi fs.FileInfo) error {
		if !fi.Mode().IsRegular() {
			if include {
				return refuse("%s不是普通文件，而是%s", prefix, kindOf(fi.Mode()))
			}
			return refuse("不是普通文件，而是%s：请指定一个 .yaml 配置文件", kindOf(fi.Mode()))
		}
		if fi.Size() > MaxFileSize {
			return tooBig(name, include)
		}
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := check(fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := check(fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, tooBig(name, include) // it grew while read
	}
	return data, nil
}

func tooBig(name string, include bool) error {
	if include {
		return refuse("不能包含 %q：文件大于 1 MiB；每个配置文件最多 1 MiB", name)
	}
	return refuse("文件大于 1 MiB；每个配置文件最多 1 MiB")
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "目录"
	case m&fs.ModeNamedPipe != 0:
		return "命名管道（FIFO）"
	case m&fs.ModeDevice != 0:
		return "设备文件"
	case m&fs.ModeSocket != 0:
		return "套接字"
	default:
		return "特殊文件"
	}
}
