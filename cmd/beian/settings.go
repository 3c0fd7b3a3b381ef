package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one subcommand: its flags, a one-line summary, and what it does.
type command struct {
	name    string // e.g. "serve", "calendar add"
	summary string
	usage   string // the argument synopsis after the name
	flags   func(fs *flag.FlagSet)
	run     func(env *env, fs *flag.FlagSet) error
	planned string // non-empty: not built yet; says which issue brings it
	// args names the positional arguments the command takes after its
	// flags (e.g. "FILE.csv"); empty means none are allowed. The command
	// reads them with fs.Args().
	args string
}

// env is what a command runs with: its streams and the process environment.
type env struct {
	ctx            context.Context // cancelled on SIGINT / SIGTERM
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// usageError is a bad invocation: exit status 2, with a hint.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseSettings parses args into fs, then fills every flag not given on the
// command line from the environment (BEIAN_<FLAG>, upper case, '-' → '_'),
// then from the optional config file (--config, or BEIAN_CONFIG): flag >
// environment > config file > default.
func parseSettings(fs *flag.FlagSet, cmdName string, args []string, e *env, positional string) error {
	if fs.Lookup("config") == nil {
		fs.String("config", "", "optional settings file of `name = value` lines (also BEIAN_CONFIG)")
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			msg = "unknown flag " + name
		}
		return usagef("beian %s: %s; run 'beian %s --help' to see its flags", cmdName, msg, cmdName)
	}
	if fs.NArg() > 0 && positional == "" {
		return usagef("beian %s: unexpected argument %q; this command takes flags only (run 'beian %s --help')", cmdName, fs.Arg(0), cmdName)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	fromEnv := func(name string) (string, string, bool) {
		key := "BEIAN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		v := e.getenv(key)
		return key, v, v != ""
	}
	// The config file's own location: flag, then environment.
	if !given["config"] {
		if _, v, ok := fromEnv("config"); ok {
			_ = fs.Set("config", v)
		}
	}
	var file map[string]fileValue
	if path := fs.Lookup("config").Value.String(); path != "" {
		var err error
		if file, err = readConfig(path, fs); err != nil {
			return usagef("beian %s: %v", cmdName, err)
		}
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] || f.Name == "config" {
			return
		}
		if key, v, ok := fromEnv(f.Name); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = usagef("beian %s: environment %s=%q: %v", cmdName, key, v, serr)
			}
			return
		}
		if fv, ok := file[f.Name]; ok {
			if serr := fs.Set(f.Name, fv.value); serr != nil {
				err = usagef("beian %s: %s line %d: %s = %q: %v", cmdName, fv.path, fv.line, f.Name, fv.value, serr)
			}
		}
	})
	return err
}

type fileValue struct {
	path  string
	line  int
	value string
}

// readConfig reads a settings file: one `name = value` per line, names as the
// flags are spelt, blank lines and lines starting with # ignored. A name that
// is no flag of this command is an error (a typo must not pass unnoticed).
func readConfig(path string, fs *flag.FlagSet) (map[string]fileValue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	out := map[string]fileValue{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s line %d: expected `name = value`", path, n)
		}
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		if fs.Lookup(name) == nil || name == "config" {
			return nil, fmt.Errorf("%s line %d: %q is not a setting of this command", path, n, name)
		}
		out[name] = fileValue{path: path, line: n, value: value}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return out, nil
}

// printFlags writes a command's flags with their environment names.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n      %s", line, usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, " [env BEIAN_%s]\n", strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")))
	})
}
