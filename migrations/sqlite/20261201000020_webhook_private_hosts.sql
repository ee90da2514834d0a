-- The admin's explicit opt-in for a webhook whose host is not public (loopback, private,
-- link-local, ...). Webhooks stored before it get FALSE: one pointing at such a host is
-- refused at its next delivery, with the reason in its recorded error, until an admin
-- removes it and adds it again with `gasstock webhooks add URL --allow-private-host`. An
-- upgrade never turns on, by itself, a request the new rule exists to stop.
ALTER TABLE webhooks ADD COLUMN allow_private_host BOOLEAN NOT NULL DEFAULT FALSE;
