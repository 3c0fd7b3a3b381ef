package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/refdata"
)

// provinceForms names the accepted ways to write a province on the CLI (API.md).
const provinceForms = "a name (浙江), an abbreviation (浙) or a GB/T 2260 code (330000)"

func userAddCommand() *command {
	var db, role, province, login, name string
	var passwordStdin bool
	return &command{
		name:    "user add",
		summary: "add an account of any role, in the context its role belongs to",
		usage:   "--db URL --role ROLE [--province P] --login LOGIN --password-stdin [--name NAME]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", "sqlite://./beian.db", "database `URL`: sqlite://PATH or postgres://… (migrated)")
			fs.StringVar(&role, "role", "", "the account's `role`: "+strings.Join(identity.RoleNames(), ", "))
			fs.StringVar(&province, "province", "", "bureau_reviewer only: its `province`, as "+provinceForms)
			fs.StringVar(&login, "login", "", "the `login`: 3–64 letters, digits and . _ @ -")
			fs.StringVar(&name, "name", "", "display `name` (optional)")
			fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input (required: never a flag)")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			a, err := userAddArgs(role, province, login, name, passwordStdin)
			if err != nil {
				return err
			}
			if a.Password, err = readPassword(e.stdin); err != nil {
				return err
			}
			d, err := openDB(e.ctx, "user add", db)
			if err != nil {
				return err
			}
			defer d.Close()
			applied, known, err := d.SchemaVersion(e.ctx)
			switch {
			case err != nil || applied < known:
				return fmt.Errorf("the database %s is not migrated (schema version %d of %d): run 'beian migrate --db %s' first", d.DSN(), applied, known, d.DSN())
			case applied > known:
				return fmt.Errorf("the database %s has schema version %d, newer than this beian knows (%d): use the newer beian binary", d.DSN(), applied, known)
			}
			s := &identity.Service{DB: d}
			p, err := s.CreateAccount(e.ctx, a, "cli:user add")
			if err != nil {
				return cliError(err, e.getenv)
			}
			fmt.Fprintf(e.stdout, "created %s %s (%s account %d)\n", p.Role, p.Login, p.Context, p.AccountID)
			return nil
		},
	}
}

// userAddArgs checks the flags before anything is read or opened.
func userAddArgs(role, province, login, name string, passwordStdin bool) (identity.NewAccount, error) {
	r := beian.Role(strings.TrimSpace(role))
	switch {
	case r == "":
		return identity.NewAccount{}, usagef("beian user add: --role is required: one of %s", strings.Join(identity.RoleNames(), ", "))
	case identity.ContextOf(r) == "":
		return identity.NewAccount{}, usagef("beian user add: unknown role %q: use one of %s", role, strings.Join(identity.RoleNames(), ", "))
	case strings.TrimSpace(login) == "":
		return identity.NewAccount{}, usagef("beian user add: --login is required")
	case !passwordStdin:
		return identity.NewAccount{}, usagef("beian user add: give the password on standard input with --password-stdin (a password is never a flag): echo \"$PASSWORD\" | beian user add … --password-stdin")
	case r == beian.RoleBureauReviewer && strings.TrimSpace(province) == "":
		return identity.NewAccount{}, usagef("beian user add: a bureau_reviewer belongs to one province: add --province, as %s", provinceForms)
	case r != beian.RoleBureauReviewer && strings.TrimSpace(province) != "":
		return identity.NewAccount{}, usagef("beian user add: only a bureau_reviewer has a province: drop --province for role %s", r)
	}
	if province != "" {
		p, ok := refdata.Default().Province(province)
		if !ok {
			return identity.NewAccount{}, usagef("beian user add: unknown province %q: write it as %s", province, provinceForms)
		}
		province = p.Code
	}
	return identity.NewAccount{Login: login, Role: r, Province: province, Name: name}, nil
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("beian user add: standard input held no password: pipe it in, e.g. echo \"$PASSWORD\" | beian user add … --password-stdin")
	}
	return line, nil
}

// cliError renders an application error's messages for the terminal, in
// Chinese when LANG or LC_ALL asks for it, English otherwise.
func cliError(err error, getenv func(string) string) error {
	var e *beian.Error
	if !errors.As(err, &e) || beian.KindOf(err) == beian.KindInternal {
		return err
	}
	lang := i18n.EN
	for _, v := range []string{getenv("LC_ALL"), getenv("LANG")} {
		if l, ok := i18n.Parse(strings.SplitN(v, ".", 2)[0]); ok {
			lang = l
			break
		}
	}
	cat := i18n.Default()
	var msgs []string
	for _, p := range e.Problems {
		where := "--" + p.Field
		if p.Field == "password" {
			where = "password (standard input)"
		}
		msgs = append(msgs, where+": "+cat.Message(lang, p.Code, p.Args))
	}
	if len(msgs) == 0 {
		msgs = append(msgs, cat.Render(lang, err).Message)
	}
	return errors.New(strings.Join(msgs, "; "))
}
