// The recovery codes table's columns, shared by every engine. The repositories answer with counts and booleans,
// never with the rows themselves, so there is no record mapping here.

export const COLUMNS = 'user_id, code_hash, created_at, used_at';
