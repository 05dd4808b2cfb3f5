// Finds the local sessions that belong to a Gatehouse session (`sid`) or person (`sub`), so a logout token
// can end them (Back-Channel Logout 1.0 §2.6). express-session's stores cannot be searched by content.
// Kept in memory like the MemoryStore itself; an app with a shared store keeps this index beside it. The
// entry of a session that merely expired stays until a logout token names it, and is then skipped.

export class SessionIndex {
  #bySid = new Map();
  #bySub = new Map();
  #bySession = new Map();

  /** Records that express session `id` belongs to Gatehouse session `sid` of person `sub`. */
  add(id, { sid, sub }) {
    this.forget(id);
    this.#bySession.set(id, { sid, sub });
    if (sid) add(this.#bySid, sid, id);
    add(this.#bySub, sub, id);
  }

  /** Drops express session `id`, once it was destroyed for any reason. */
  forget(id) {
    const entry = this.#bySession.get(id);
    if (!entry) return;
    this.#bySession.delete(id);
    if (entry.sid) remove(this.#bySid, entry.sid, id);
    remove(this.#bySub, entry.sub, id);
  }

  /**
   * The express session ids a logout token names: those of its `sid` (of that `sub` too when it has one),
   * or every session of its `sub` when it carries no `sid`.
   */
  find({ sid, sub }) {
    if (sid === undefined) return [...(this.#bySub.get(sub) ?? [])];
    const ids = [...(this.#bySid.get(sid) ?? [])];
    return sub === undefined ? ids : ids.filter((id) => this.#bySession.get(id)?.sub === sub);
  }
}

function add(map, key, id) {
  let ids = map.get(key);
  if (!ids) map.set(key, (ids = new Set()));
  ids.add(id);
}

function remove(map, key, id) {
  const ids = map.get(key);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) map.delete(key);
}
