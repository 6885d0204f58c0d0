// Command planbot runs a township's work-plan assistant (run: the chat bot
// and its reminders) and its admin tools: check a configuration, print where
// the plan stands, import a plan document, preview and fire jobs, export,
// back up. It is the only place that wires the parts together; app.go holds
// the wiring of run, which the end-to-end tests build too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"planbot/storage"
)

func main() {
	if oneProcessor(os.Args[1:], os.Getenv) {
		runtime.GOMAXPROCS(1)
	}
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, now: time.Now}))
}

// oneProcessor says whether the process runs Go code on one processor:
// `planbot run`, unless GOMAXPROCS says otherwise. The bot's work is a
// pipeline of short steps (poll, handle, send) that hand off to each other
// and spend their time in SQLite (cgo) and the network. With two
// processors the runtime spins threads looking for work and takes
// processors back from cgo calls tens of thousands of times a second: on
// the 2-core machine one processor answered the same 2,000 reports with
// 30% less CPU and at a higher rate (docs/BENCHMARKS.md, issue 15), and
// leaves the other core to the server's other work. Other commands (gen,
// import-doc, export) are batch work and keep every core.
func oneProcessor(args []string, getenv func(string) string) bool {
	return len(args) > 0 && args[0] == "run" && getenv("GOMAXPROCS") == ""
}

// command is one subcommand: its flags are parsed by run, then it does its
// work and returns an exit code.
type command struct {
	name    string
	summary string
	arg     bool // takes one positional argument (the job of fire)
	flags   func(fs *flag.FlagSet) func(ctx context.Context, env *env) int
}

// env is what a subcommand may touch of the world.
type env struct {
	ctx      context.Context // nil: Background; run also stops on SIGINT/SIGTERM
	stdin    io.Reader       // nil: os.Stdin
	getenv   func(string) string
	arg      string // the positional argument of commands that take one
	fontPath string // CJK font for charts; "" searches the system
	// render makes the chart and the workbook (planbot-render); nil: found
	// on first use, or renderErr says why not.
	render         renderer
	renderErr      error
	stdout, stderr io.Writer
	now            func() time.Time
	log            *slog.Logger
	dbOptions      []storage.Option // tests shorten the busy timeout
}

const (
	exitOK    = 0
	exitFail  = 1 // the work failed: invalid config, unreadable database …
	exitUsage = 2 // the command line itself was wrong
)

func commands() []command {
	return []command{runCommand(), chatCommand(), checkCommand(), statusCommand(), jobsCommand(), fireCommand(), digestCommand(), chartCommand(), outboxCommand(), exportCommand(), backupCommand(), newYearCommand(), peopleCommand(), genCommand(), importDocCommand(), wecomCommand()}
}

// run is main without os.Exit, so tests can call it.
func run(args []string, e *env) int {
	parent := e.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if e.getenv == nil {
		e.getenv = os.Getenv
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	stdout, stderr := e.stdout, e.stderr

	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet("planbot "+c.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		do := c.flags(fs)
		rest := args[1:]
		if c.arg {
			e.arg, rest = takesArg(rest)
		}
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if c.arg && e.arg == "" && fs.NArg() > 0 {
			// "fire -dry-run overdue_daily -at …": the name came after some flags.
			e.arg = fs.Arg(0)
			if err := fs.Parse(fs.Args()[1:]); err != nil {
				return exitUsage
			}
		}
		if c.arg && e.arg == "" {
			fmt.Fprintf(stderr, "planbot %s: which one? (see planbot %s -help)\n", c.name, c.name)
			return exitUsage
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "planbot %s: unexpected argument %q (see planbot %s -help)\n", c.name, fs.Arg(0), c.name)
			return exitUsage
		}
		return do(ctx, e)
	}
	fmt.Fprintf(stderr, "planbot: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "planbot keeps a township's annual work plan honest.")
	fmt.Fprintln(w, "\nUsage: planbot <command> [flags]   (planbot <command> -help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nWith no -config, the built-in example (config.example.yaml) is used.")
}
