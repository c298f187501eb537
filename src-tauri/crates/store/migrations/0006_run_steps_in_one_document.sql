-- A run's steps are kept in the run's own row, as one JSON array in execution order, with
-- their number beside it: storing a run writes one row instead of one row and one index
-- entry per step.
ALTER TABLE runs ADD COLUMN steps TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runs ADD COLUMN step_count INTEGER NOT NULL DEFAULT 0;

UPDATE runs SET
    steps = (SELECT COALESCE(json_group_array(json(s.step) ORDER BY s.idx), '[]')
             FROM steps s WHERE s.run_id = runs.id),
    step_count = (SELECT COUNT(*) FROM steps s WHERE s.run_id = runs.id);

DROP TABLE steps;
