-- The outbox: every resource write leaves one event row, written by the same statement as the
-- version (see write-version.ts), so no event is lost between commit and enqueue and none is
-- invented for a write that rolled back. The matcher takes events with FOR UPDATE SKIP LOCKED
-- and deletes them in the transaction that records their deliveries.
CREATE TABLE resource_event (
  seq           bigserial   PRIMARY KEY,
  tenant        text        NOT NULL,
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    bigint      NOT NULL,
  action        text        NOT NULL,   -- create | update | delete
  at            timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Per Subscription: how many events matched it since it started (the backport IG's
-- events-since-subscription-start), so each delivery carries its event number; and when its
-- endpoint last got something, for heartbeats.
CREATE TABLE subscription_state (
  tenant          text   NOT NULL,
  subscription_id text   NOT NULL,
  events          bigint NOT NULL DEFAULT 0,
  last_sent_at    timestamptz,
  PRIMARY KEY (tenant, subscription_id)
);

-- One notification to send: pending until delivered, retried with backoff, dead after the
-- Subscription's maximum attempts (kept for an operator to replay).
CREATE TABLE subscription_delivery (
  tenant          text        NOT NULL,
  subscription_id text        NOT NULL,
  event_number    bigint      NOT NULL,
  resource_type   text        NOT NULL,
  id              text        NOT NULL,
  version_id      bigint      NOT NULL,
  action          text        NOT NULL,
  event_at        timestamptz NOT NULL,
  status          text        NOT NULL DEFAULT 'pending',   -- pending | delivered | dead
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_error      text,
  delivered_at    timestamptz,
  PRIMARY KEY (tenant, subscription_id, event_number)
);
CREATE INDEX subscription_delivery_due ON subscription_delivery (next_attempt_at) WHERE status = 'pending';

-- Binding tokens for websocket channels ($get-ws-binding-token): a client connects to /ws and
-- sends "bind-with-token <token>" to receive the notifications of these Subscriptions.
CREATE TABLE subscription_ws_token (
  token            text        PRIMARY KEY,
  tenant           text        NOT NULL,
  subscription_ids text[]      NOT NULL,
  expires_at       timestamptz NOT NULL
);
