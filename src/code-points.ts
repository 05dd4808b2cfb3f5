// How many characters a text has, counted as Unicode code points: NIST SP 800-63B §3.1.1.2 counts a password's
// characters so ("each Unicode code point SHALL be counted as a single character"), SQLite's trigram tokenizer counts
// a search term's so, and our stored names are bounded so. Neither UTF-16 units (`length`, which counts an emoji
// twice) nor grapheme clusters (which would let one "character" carry any number of combining marks).
export function codePointLength(text: string): number {
  let count = 0;
  for (const _codePoint of text) count++;
  return count;
}
