package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian/sqlstore"
)

// pgbenchScale is the TPC-B scale of the comparison (-i -s 10: a million accounts).
const pgbenchScale = 10

// pgbenchResult is the same machine's pgbench TPC-B rate, measured in the
// same run on a scratch database of the same server.
type pgbenchResult struct {
	Version  string  `json:"version"`
	Scale    int     `json:"scale"`
	Clients  int     `json:"clients"`
	Threads  int     `json:"threads"`
	Seconds  int     `json:"seconds"`
	InitSecs float64 `json:"init_seconds"`
	TPS      float64 `json:"tps"` // "without initial connection time"
}

// pgbenchSeconds is the length of the pgbench run: half the load's, at least 1 s.
func pgbenchSeconds(d time.Duration) int { return max(1, int(d.Seconds()/2)) }

// pgbenchTPS matches the rate pgbench prints after a run.
var pgbenchTPS = regexp.MustCompile(`tps = ([0-9]+(?:\.[0-9]+)?) \(without initial connection time\)`)

// parsePgbench reads the tps "without initial connection time" of a
// pgbench run's output.
func parsePgbench(out string) (float64, error) {
	m := pgbenchTPS.FindStringSubmatch(out)
	if m == nil {
		return 0, errors.New("pgbench printed no \"tps = … (without initial connection time)\" line")
	}
	return strconv.ParseFloat(m[1], 64)
}

// runPgbench initialises a scratch database on dsn's server (raw: the
// --db URL as given) with `pgbench -i -s 10`, runs `pgbench -c clients -j
// 2 -T seconds` on it, and drops it unless keep.
func runPgbench(ctx context.Context, dsn sqlstore.DSN, raw string, clients, seconds int, keep bool) (pgbenchResult, error) {
	res := pgbenchResult{Scale: pgbenchScale, Clients: clients, Threads: min(2, clients), Seconds: seconds}
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return res, errors.New("pgbench is not installed: install the PostgreSQL client tools (e.g. apt-get install postgresql-client), or pass --pgbench=false")
	}
	if v, err := exec.CommandContext(ctx, bin, "--version").Output(); err == nil {
		res.Version = strings.TrimSpace(string(v))
	}
	name := "beian_pgbench_" + strings.ToLower(rand.Text()[:8])
	drop, dbURL, err := scratchDatabase(ctx, dsn, raw, name)
	if err != nil {
		return res, err
	}
	if !keep {
		defer drop()
	}
	conn, err := libpqURL(dbURL)
	if err != nil {
		return res, err
	}
	start := time.Now()
	if out, err := exec.CommandContext(ctx, bin, "-i", "-q", "-s", strconv.Itoa(pgbenchScale), conn).CombinedOutput(); err != nil {
		return res, fmt.Errorf("pgbench -i: %w: %s", err, lastLines(string(out), 3))
	}
	res.InitSecs = time.Since(start).Seconds()
	out, err := exec.CommandContext(ctx, bin, "-c", strconv.Itoa(clients), "-j", strconv.Itoa(res.Threads), "-T", strconv.Itoa(seconds), conn).CombinedOutput()
	if err != nil {
		return res, fmt.Errorf("pgbench: %w: %s", err, lastLines(string(out), 3))
	}
	res.TPS, err = parsePgbench(string(out))
	return res, err
}

// libpqURL is the URL without the parameters only beian reads (max_conns)
// or only the Go driver knows, for libpq's pgbench.
func libpqURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name", "host", "port", "user", "password",
			"target_session_attrs", "options":
		default:
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// lastLines is the last n lines of s, for an error message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " / ")
}
