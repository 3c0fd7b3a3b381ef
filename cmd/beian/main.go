// Command beian is the one binary of the beian ICP filing platform: the
// all-in-one server, the regulator and the gate alone, the demo, and the
// operator's tools (API.md, "Command line").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

// setGOGC sets the collector's target to defaultGOGC unless the
// environment sets GOGC.
func setGOGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
}

// defaultGOGC is the garbage collector's target of every beian process
// unless the environment sets GOGC: the heap may grow to three times what
// is live (Go's default is twice) in exchange for half as many
// collections. Under bench api the collector took about a tenth of the
// server's CPU; with 200, SQLite's steps/s rose 6–10 % (docs/operations.md).
const defaultGOGC = 200

func main() {
	setGOGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{ctx: ctx, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, os.Args[1:], e))
}

// commands is the subcommand tree of API.md. Entries with planned set are
// named so that `beian help` shows the whole tree, and answer that they are
// not built yet rather than pretending to work.
func commands() []*command {
	return []*command{
		serveCommand(),
		regulatorCommand(),
		gateCommand(),
		demoCommand(),
		migrateCommand(),
		versionCommand(),
		userAddCommand(),
		providerAddCommand(),
		calendarAddCommand(),
		auditVerifyCommand(),
		auditHeadCommand(),
		importRegistryCommand(),
		benchCommand(),
		backupCommand(),
		chaosCommand(),
		restoreCommand(),
	}
}

// run executes one invocation and returns the exit status: 0 success,
// 1 failure, 2 bad usage.
func run(ctx context.Context, args []string, e *env) int {
	e.ctx = ctx
	err := dispatch(ctx, args, e)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(e.stderr, ue.msg)
		return 2
	}
	fmt.Fprintf(e.stderr, "beian: %v\n", err)
	return 1
}

func dispatch(ctx context.Context, args []string, e *env) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return dispatch(ctx, append(args[1:], "--help"), e)
		}
		printHelp(e.stdout, cmds)
		if len(args) == 0 {
			return usagef("beian: no command given; see the list above")
		}
		return nil
	}
	// Longest match first: "calendar add" before "calendar".
	var match *command
	var rest []string
	for _, c := range cmds {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			if match == nil || len(words) > len(strings.Fields(match.name)) {
				match, rest = c, args[len(words):]
			}
		}
	}
	if match == nil {
		var near []string
		for _, c := range cmds {
			if strings.HasPrefix(c.name, args[0]+" ") {
				near = append(near, "'beian "+c.name+"'")
			}
		}
		if len(near) > 0 {
			return usagef("beian %s: needs a subcommand: %s", args[0], strings.Join(near, ", "))
		}
		return usagef("beian: unknown command %q; run 'beian help' for the list", args[0])
	}
	if match.planned != "" {
		return fmt.Errorf("'%s' is not available in this version yet: it arrives with %s", match.name, match.planned)
	}
	fs := flag.NewFlagSet(match.name, flag.ContinueOnError)
	if match.flags != nil {
		match.flags(fs)
	}
	if err := parseSettings(fs, match.name, rest, e, match.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.stdout, "usage: beian %s %s\n\n%s\n\nflags (flag > environment > config file > default):\n", match.name, match.usage, match.summary)
			printFlags(e.stdout, fs)
		}
		return err
	}
	return match.run(e, fs)
}

func printHelp(w io.Writer, cmds []*command) {
	fmt.Fprintln(w, "beian — ICP filing (ICP备案) platform for hosting providers")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: beian <command> [flags]   (beian <command> --help for its flags)")
	fmt.Fprintln(w)
	sorted := append([]*command(nil), cmds...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].planned == "" && sorted[j].planned != "" })
	for _, c := range sorted {
		note := ""
		if c.planned != "" {
			note = " (not yet available)"
		}
		fmt.Fprintf(w, "  %-16s %s%s\n", c.name, c.summary, note)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Settings: flag > environment BEIAN_<FLAG> > config file (--config or BEIAN_CONFIG).")
}
