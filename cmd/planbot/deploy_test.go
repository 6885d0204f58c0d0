package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The systemd units in deploy/ call planbot with subcommands and flags that
// exist: an operator who copies them gets a service that starts, not one
// that fails on "flag provided but not defined".
func TestDeployUnitsUseRealCommands(t *testing.T) {
	units, err := filepath.Glob("../../deploy/*.service")
	if err != nil || len(units) == 0 {
		t.Fatalf("no units in deploy/: %v", err)
	}
	call := regexp.MustCompile(`/planbot ([a-z-]+)((?: -[a-z]+(?: [^ '"]+)?)*)`)
	seen := 0
	for _, unit := range units {
		data, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		var execs []string // the lines systemd runs; comments only explain
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "Exec") {
				execs = append(execs, line)
			}
		}
		for _, m := range call.FindAllStringSubmatch(strings.Join(execs, "\n"), -1) {
			seen++
			var cmd *command
			for _, c := range commands() {
				if c.name == m[1] {
					cmd = &c
				}
			}
			if cmd == nil {
				t.Errorf("%s: planbot has no subcommand %q", filepath.Base(unit), m[1])
				continue
			}
			fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cmd.flags(fs)
			for _, word := range strings.Fields(m[2]) {
				if name, ok := strings.CutPrefix(word, "-"); ok && fs.Lookup(name) == nil {
					t.Errorf("%s: planbot %s has no flag -%s", filepath.Base(unit), cmd.name, name)
				}
			}
		}
		if strings.Contains(string(data), "ExecReload") && !strings.Contains(string(data), "kill -HUP") {
			t.Errorf("%s: reload is not SIGHUP", filepath.Base(unit))
		}
	}
	if seen < 2 {
		t.Errorf("found %d planbot calls in the units, want run and backup", seen)
	}
}
