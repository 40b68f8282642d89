-- Cross-source identity (README "Assets: one real asset"): why each source coin is in its asset, the curated links
-- copied from ASSET_LINKS_PATH at start-up, and the pairs the rule found ambiguous for an operator to curate.
-- Links already made by the match key stay until the first link pass (start-up or the next run) re-decides them;
-- history is keyed by the source coin (listing_id), so moving a link rewrites no history.
-- depends: 0009.partition-lock-parent-only

ALTER TABLE asset_sources
    ADD COLUMN linked_by text NOT NULL DEFAULT 'rule' CHECK (linked_by IN ('rule', 'curated')),
    -- a coin linked by its match key (same symbol, same name) with no figure contradicting its asset's other coins
    -- keeps this reason and no judged_* (checked again at every link pass, sql/confirm_asset_links.sql); a coin the rule
    -- judged in Python gets its own reason and what it was judged on (a pass decides again where these moved)
    ADD COLUMN link_reason text NOT NULL
        DEFAULT 'by the match key: same symbol and name as its asset''s other coins, if any; no figure contradicts',
    ADD COLUMN judged_symbol text,
    ADD COLUMN judged_name text,
    ADD COLUMN judged_price float8,
    ADD COLUMN judged_market_cap float8,
    ADD COLUMN judged_at timestamptz;

CREATE TABLE asset_link_rules (
    kind      text NOT NULL CHECK (kind IN ('same', 'apart')),
    source_a  text NOT NULL,
    coin_a    text NOT NULL,
    source_b  text NOT NULL,
    coin_b    text NOT NULL,
    origin    text NOT NULL,  -- file:line
    PRIMARY KEY (source_a, coin_a, source_b, coin_b, kind)
);

CREATE TABLE asset_link_candidates (
    symbol      text NOT NULL,
    source_a    text NOT NULL,
    coin_a      text NOT NULL,
    source_b    text NOT NULL,
    coin_b      text NOT NULL,
    verdict     text NOT NULL,
    score       integer NOT NULL,
    note        text NOT NULL,
    reason      text NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_a, coin_a, source_b, coin_b)
);
CREATE INDEX asset_link_candidates_symbol_idx ON asset_link_candidates (symbol);

-- Coins a link pass confirmed in SQL (linked by their match key, nothing in doubt), with what that rested on: the
-- next pass passes over them while none of it changed and their price stays in the band (any two prices in it are
-- within figures.py's price tolerance of each other), so a run's pass reads only what moved.
CREATE TABLE asset_link_confirmed (
    source      text NOT NULL,
    coin_id     text NOT NULL,
    symbol      text NOT NULL,
    name        text NOT NULL,
    asset_id    bigint NOT NULL,
    max_supply  numeric,
    ath_price   numeric,
    price_low   float8 NOT NULL,
    price_high  float8 NOT NULL,
    PRIMARY KEY (source, coin_id)
);
