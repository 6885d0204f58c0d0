//go:build linux

package main

// The process harness of the whole-process benchmarks (BenchmarkInboundPeer,
// BenchmarkRunMix, BenchmarkColdViews): a built binary started as its own
// process against the fake Bot API, its CPU and peak memory read from
// /proc while it runs, stopped with SIGTERM and checked to exit cleanly.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"planbot/config"
	"planbot/telegram/telegramtest"
)

// peerBinary builds cmd/peerbot once per test binary, beside planbot's.
var peerBinary = sync.OnceValues(func() (string, error) { return buildBinary("peerbot", "../peerbot") })

// benchProc is one bot process under measurement.
type benchProc struct {
	name    string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when Wait has returned
	waitErr error
	stderr  bytes.Buffer // read only once exited is closed (exec copies into it until then)
	started time.Time
}

// startProc starts bin with args and the fake's token in the environment
// (as an operator exports it); the process is killed at the end of the
// benchmark if it is still running.
func startProc(b *testing.B, name, bin string, srv *telegramtest.Server, args ...string) *benchProc {
	b.Helper()
	p := &benchProc{name: name, cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), config.DefaultTokenEnv+"="+srv.Token())
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, &p.stderr
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	b.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitPolling waits for the process's first long poll and returns how
// long after the start it came.
func (p *benchProc) waitPolling(b *testing.B, srv *telegramtest.Server) time.Duration {
	b.Helper()
	srv.WaitUntil(b, time.Minute, p.name+" polling", func() bool {
		select {
		case <-p.exited: // a process that died will never poll: stop waiting
			return true
		default:
			return srv.Polling() > 0
		}
	})
	p.failIfExited(b)
	return time.Since(p.started)
}

// failIfExited fails the benchmark with the process's log if it has exited.
func (p *benchProc) failIfExited(b *testing.B) {
	b.Helper()
	select {
	case <-p.exited:
		b.Fatalf("%s exited: %v\n%s", p.name, p.waitErr, p.stderr.String())
	default:
	}
}

// ticksPerSecond is USER_HZ, the unit of utime and stime in /proc: 100 on
// every Linux architecture (it is part of the kernel's ABI, whatever HZ).
const ticksPerSecond = 100

// cpu is the CPU time (user + system, every thread) the running process
// has used so far, from /proc/<pid>/stat; its resolution is 10 ms.
func (p *benchProc) cpu(b *testing.B) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime field 14 and stime field 15.
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", p.cmd.Process.Pid, data)
	}
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// peakRSS is the process's VmHWM so far, in KiB.
func (p *benchProc) peakRSS(b *testing.B) float64 {
	b.Helper()
	kib, err := vmHWM(p.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return kib
}

// stop sends SIGTERM and fails the benchmark unless the process exits
// with status 0 within stopBound, having logged stoppedLine.
func (p *benchProc) stop(b *testing.B, stoppedLine string) {
	b.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopBound):
		p.cmd.Process.Kill()
		<-p.exited
		b.Fatalf("%s did not stop within %v of SIGTERM\n%s", p.name, stopBound, p.stderr.String())
	}
	if p.waitErr != nil || !strings.Contains(p.stderr.String(), stoppedLine) {
		b.Fatalf("%s did not stop cleanly (%v):\n%s", p.name, p.waitErr, p.stderr.String())
	}
}

// log is the process's stderr; only once it has exited.
func (p *benchProc) log() string {
	<-p.exited
	return p.stderr.String()
}
