"""Cross-source identity: which source coins are one real asset (see README "Assets: one real asset")."""
