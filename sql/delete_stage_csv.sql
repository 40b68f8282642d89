-- Empties stage_csv between the parts of one CSV block (it is emptied at commit anyway).
DELETE FROM stage_csv
