package main

import (
	"flag"
)

// regulatorSettings are the flags of `beian regulator`: those it shares
// with serve; the registry's SMS and email go through the same senders.
type regulatorSettings struct {
	serverSettings
}

func (s *regulatorSettings) flags(fs *flag.FlagSet) {
	s.cmd = "regulator"
	s.serverSettings.flags(fs, "127.0.0.1:8081", "sqlite://./beian-regulator.db")
}

// main validates the settings into a Main that runs the regulator alone.
func (s *regulatorSettings) main(e *env) (*Main, error) {
	m, err := s.serverSettings.main(e)
	if err != nil {
		return nil, err
	}
	m.Regulator = true
	return m, nil
}

// regulatorCommand is `beian regulator`: the registry context alone —
// migrations, registry accounts (bureau reviewers, registry admins), the
// public query, SMS confirmation and password pages' API, the bureau desk,
// the providers and their credentials, the connector routes for remote
// providers (`beian serve --regulator-url`), the registry's timers and
// outbox worker, health, readiness, metrics and the API description; the
// sandbox surface with --sandbox.
func regulatorCommand() *command {
	s := &regulatorSettings{}
	return &command{
		name:    "regulator",
		summary: "run the regulator alone (registry + bureaus + public registry pages)",
		usage:   "[--addr 127.0.0.1:8081] [--db URL] [--sandbox]",
		flags:   s.flags,
		run: func(e *env, fs *flag.FlagSet) error {
			m, err := s.main(e)
			if err != nil {
				return err
			}
			return runUntilStopped(e, "regulator", m)
		},
	}
}
