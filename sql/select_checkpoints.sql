-- Every checkpoint of source $1, by stream.
SELECT stream, position FROM etl_checkpoints WHERE source = $1
