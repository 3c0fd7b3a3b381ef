package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
)

// checkProviderName checks a provider name before anything is opened (the
// registry checks it again).
func checkProviderName(name string) error {
	n := len([]rune(strings.TrimSpace(name)))
	if n == 0 || n > regulator.MaxProviderName {
		return fmt.Errorf("a provider name has 1 to %d characters", regulator.MaxProviderName)
	}
	return nil
}

// requireMigrated refuses a database whose schema is not this binary's.
func requireMigrated(ctx context.Context, d *sqlstore.DB) error {
	applied, known, err := d.SchemaVersion(ctx)
	switch {
	case err != nil || applied < known:
		return fmt.Errorf("the database %s is not migrated (schema version %d of %d): run 'beian migrate --db %s' first", d.DSN(), applied, known, d.DSN())
	case applied > known:
		return fmt.Errorf("the database %s has schema version %d, newer than this beian knows (%d): use the newer beian binary", d.DSN(), applied, known)
	}
	return nil
}

// providerAddCommand is `beian provider add`: registers a provider at the
// regulator's registry and prints its connector credential once, alone on
// standard output (for scripts); the explanation goes to standard error.
// The registry keeps only a hash: a lost credential is replaced with
// --rotate, which ends the old one.
func providerAddCommand() *command {
	var db, name string
	var rotate bool
	return &command{
		name:    "provider add",
		summary: "register a provider at the regulator and print its credential",
		usage:   "--db URL --name NAME [--rotate]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", "sqlite://./beian-regulator.db", "the regulator's database `URL` (migrated)")
			fs.StringVar(&name, "name", "", "the provider's `name` at the registry, as access records show it")
			fs.BoolVar(&rotate, "rotate", false, "issue a new credential for a provider already registered (its old credential stops working)")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			if strings.TrimSpace(name) == "" {
				return usagef("beian provider add: --name is required")
			}
			if err := checkProviderName(name); err != nil {
				return usagef("beian provider add: --name: %v", err)
			}
			d, err := openDB(e.ctx, "provider add", db)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := requireMigrated(e.ctx, d); err != nil {
				return err
			}
			reg, err := regulator.New(d)
			if err != nil {
				return err
			}
			ctx := regulator.WithActor(e.ctx, "cli:provider add")
			var p regulator.Provider
			var cred string
			if rotate {
				p, cred, err = reg.RotateCredential(ctx, name)
			} else {
				p, cred, err = reg.AddProvider(ctx, name)
			}
			if err != nil {
				var be *beian.Error
				if !rotate && errors.As(err, &be) && be.Code == "connector.provider_exists" {
					return fmt.Errorf("the provider %s is already registered; to issue a new credential (the old one stops working), run 'beian provider add --rotate --name %s'", strings.TrimSpace(name), name)
				}
				return cliError(err, e.getenv)
			}
			verb := "registered provider"
			if rotate {
				verb = "issued a new credential for provider"
			}
			fmt.Fprintf(e.stderr, "%s %s; its credential follows on standard output, shown this once: keep it secret and give it to the provider's 'beian serve --regulator-token'\n", verb, p.Name)
			fmt.Fprintln(e.stdout, cred)
			return nil
		},
	}
}
