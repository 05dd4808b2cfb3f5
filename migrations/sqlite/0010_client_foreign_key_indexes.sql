-- 0010: every foreign-key column is indexed (issue 20). Deleting a client cascades to its codes, pending requests,
-- tokens and session memberships; without an index on client_id each of those deletes reads its whole table.
-- (Every user_id and sid already had one: 0001, 0003, 0006, 0007.)
CREATE INDEX authorization_codes_by_client ON authorization_codes (client_id);
CREATE INDEX authorization_requests_by_client ON authorization_requests (client_id);
CREATE INDEX refresh_tokens_by_client ON refresh_tokens (client_id);
CREATE INDEX access_tokens_by_client ON access_tokens (client_id);
CREATE INDEX session_clients_by_client ON session_clients (client_id);
