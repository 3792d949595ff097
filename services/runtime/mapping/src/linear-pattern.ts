/**
 * Which regular expressions V8's own engine may run instead of RE2: those where it provably finds
 * the same matches and cannot backtrack beyond a linear amount. Most mapping patterns are of this
 * kind (`/^[A-Z]{2}$/`, `/^[^:]*:/`, `/[eE]/`, `/__c$/`), and RE2JS, written in JavaScript, spends
 * several times V8's time on them. Accepted, and nothing else:
 * - no flags (case folding and `m` line ends differ between the engines);
 * - printable ASCII only; literals, escaped punctuation, `\d`, `\w`, `\D`, `\W` and bracket classes
 *   of ASCII literals, ranges, `\d` and `\w` (both engines give these the same ASCII meaning);
 * - `^` only first and `$` only last; no `.`, `\s`, `\b`, groups, alternation or lazy quantifiers;
 * - at most one quantifier that can match a varying count (`*`, `+`, `?`, `{n,m}`), bounded by 100
 *   unless the pattern starts with `^`, and a negated class (`[^…]`, `\D`, `\W`, which can
 *   meet a surrogate pair that V8 counts as two characters and RE2 as one) only as the atom of a
 *   `*` or `+`, whose greedy run can never end inside a pair.
 * With one varying quantifier the search backtracks at most through that quantifier's run once per
 * start position, and `^` leaves one start position: linear in the input either way.
 */

const PUNCTUATION_ESCAPES = new Set('\\^$.|?*+()[]{}/-'.split(''));
const CLASS_ESCAPES = new Set(['d', 'w']);
const NEGATED_ESCAPES = new Set(['D', 'W']);
const MAX_BOUNDED_REPEAT = 100;

interface Atom {
  negated: boolean;
}

/** Reads a bracket class at `at` (the `[`); returns the index after `]`, or -1 when outside the subset. */
function bracket(source: string, at: number, atom: Atom): number {
  let i = at + 1;
  if (source[i] === '^') {
    atom.negated = true;
    i++;
  }
  let first = true;
  for (; i < source.length; i++) {
    const c = source[i]!;
    // `[]…` is an empty class to V8 and a literal `]` to RE2.
    if (c === ']') return first ? -1 : i + 1;
    first = false;
    if (c === '[') return -1;
    if (c === '\\') {
      const e = source[i + 1];
      if (e === undefined || !(CLASS_ESCAPES.has(e) || PUNCTUATION_ESCAPES.has(e))) return -1;
      // A range to or from `\d`/`\w` is a literal `-` to V8 and an error to RE2.
      if (CLASS_ESCAPES.has(e) && (source[i - 1] === '-' || source[i + 2] === '-')) return -1;
      i++;
    }
  }
  return -1;
}

/** Whether V8 may run `native` with the same results as RE2 and in linear time (see the module comment). */
export function isLinearPattern(native: RegExp): boolean {
  if (native.flags.replace('g', '') !== '') return false;
  const source = native.source;
  if (!/^[\x20-\x7e]*$/.test(source)) return false;
  let i = source.startsWith('^') ? 1 : 0;
  const anchored = i === 1;
  let varying = 0;
  while (i < source.length) {
    const atom: Atom = { negated: false };
    const c = source[i]!;
    if (c === '$') {
      if (i !== source.length - 1) return false;
      i++;
      continue;
    }
    if (c === '[') {
      i = bracket(source, i, atom);
      if (i < 0) return false;
    } else if (c === '\\') {
      const e = source[i + 1];
      if (e === undefined) return false;
      if (NEGATED_ESCAPES.has(e)) atom.negated = true;
      else if (!CLASS_ESCAPES.has(e) && !PUNCTUATION_ESCAPES.has(e)) return false;
      i += 2;
    } else if ('^.|?*+()]{}'.includes(c)) return false;
    else i++;
    // The atom's quantifier, if any.
    const q = source[i];
    let kind: 'none' | 'exact' | 'bounded' | 'unbounded' = 'none';
    if (q === '*' || q === '+') {
      kind = 'unbounded';
      i++;
    } else if (q === '?') {
      kind = 'bounded';
      i++;
    } else if (q === '{') {
      const m = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(source.slice(i));
      if (!m) return false;
      const min = Number(m[1]);
      if (m[2] === undefined) kind = 'exact';
      else if (m[3] === '') kind = 'unbounded';
      else {
        if (Number(m[3]) < min || Number(m[3]) > MAX_BOUNDED_REPEAT) return false;
        kind = Number(m[3]) === min ? 'exact' : 'bounded';
      }
      i += m[0].length;
    }
    if (i < source.length && '?*+{'.includes(source[i]!)) return false; // lazy or stacked quantifiers
    if (atom.negated && !(q === '*' || q === '+')) return false;
    if (kind === 'bounded' || kind === 'unbounded') varying++;
    if (kind === 'unbounded' && !anchored) return false;
  }
  return varying <= 1;
}
