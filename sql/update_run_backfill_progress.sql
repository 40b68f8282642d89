-- Records backfill run $1's progress $2 (coins done and left, points stored), in the transaction of its batch.
UPDATE etl_runs SET progress = $2 WHERE id = $1
