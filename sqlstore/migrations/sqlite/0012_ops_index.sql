-- The ops dashboard (web/page/ops.go, providerdb.OpsStats) reads finished
-- reviews by stage and time; this index covers those reads so they need
-- no table lookups (issue 7: /ops renders quickly at 100,000 orders).
CREATE INDEX order_stages_ops ON order_stages (from_stage, at, to_stage, entered_at, province);
