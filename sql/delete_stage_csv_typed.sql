-- Empties stage_csv_typed between the pieces of one CSV block (it is emptied at commit anyway).
DELETE FROM stage_csv_typed
