/**
 * The layout rules of `terraform fmt` that hand-written HCL most often breaks, checked without the terraform
 * binary: indentation (two spaces per open bracket line, as hclwrite's formatIndent computes it) and the
 * alignment of `=` across consecutive single-line attributes (hclwrite's formatCells), plus tabs, trailing
 * spaces and the final newline. An approximation of the real thing, which terraform.yml runs (fmt -check):
 * it exists so that a formatting slip fails here, before CI.
 */
export interface FormatProblem {
  line: number;
  message: string;
}

interface LineInfo {
  text: string;
  blank: boolean;
  /** Net change of bracket depth over the line (strings' `${…}` count as a pair, as in hclwrite). */
  net: number;
  /** Column of the first attribute `=` when the rest of the line is a complete expression. */
  assignAt?: number;
  /** Width of what precedes that `=`, without trailing spaces (hclwrite's lead cell). */
  leadWidth?: number;
}

function scan(text: string): LineInfo {
  const trimmed = text.trim();
  if (trimmed === '') return { text, blank: true, net: 0 };
  let net = 0;
  let firstEquals: number | undefined;
  let netAfterEquals = 0;
  // Stack of contexts: 'code' or 'string'; a `${` inside a string pushes 'code' until its `}`.
  const stack: ('code' | 'string')[] = ['code'];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    const mode = stack[stack.length - 1];
    const change = (delta: number) => {
      net += delta;
      if (firstEquals !== undefined) netAfterEquals += delta;
    };
    if (mode === 'string') {
      if (c === '\\') i++;
      else if (c === '"') stack.pop();
      else if ((c === '$' || c === '%') && next === '{') {
        stack.push('code');
        change(1);
        i++;
      }
      continue;
    }
    if (c === '#' || (c === '/' && next === '/')) break;
    if (c === '"') stack.push('string');
    else if (c === '(' || c === '[' || c === '{') change(1);
    else if (c === ')' || c === ']' || c === '}') {
      change(-1);
      // The `}` closing a string's interpolation returns to the string.
      if (c === '}' && stack.length > 1) stack.pop();
    } else if (c === '=' && firstEquals === undefined && stack.length === 1) {
      const previous = text[i - 1];
      if (next !== '=' && next !== '>' && previous !== '=' && previous !== '!' && previous !== '<' && previous !== '>') {
        if (text.slice(0, i).trim() !== '') firstEquals = i;
      }
    }
  }
  const info: LineInfo = { text, blank: false, net };
  if (firstEquals !== undefined && netAfterEquals === 0) {
    info.assignAt = firstEquals;
    info.leadWidth = text.slice(0, firstEquals).trimEnd().length;
  }
  return info;
}

/** Layout problems of one .tf file's text, by 1-based line. */
export function hclFormatProblems(source: string): FormatProblem[] {
  const problems: FormatProblem[] = [];
  if (source.includes('\r')) problems.push({ line: 1, message: 'CRLF line endings' });
  if (!source.endsWith('\n') || source.endsWith('\n\n')) problems.push({ line: source.split('\n').length, message: 'the file must end with exactly one newline' });
  const lines = source.replace(/\n$/, '').split('\n').map(scan);

  // Indentation: hclwrite pushes one level per line that opens brackets, however many it opens.
  const indents: number[] = [];
  lines.forEach((line, index) => {
    if (line.blank) return;
    if (/\t/.test(line.text)) problems.push({ line: index + 1, message: 'tab character' });
    if (/[ \t]+$/.test(line.text)) problems.push({ line: index + 1, message: 'trailing whitespace' });
    if (line.net < 0) {
      let closed = -line.net;
      while (closed > 0 && indents.length) {
        const top = indents[indents.length - 1]!;
        if (closed >= top) {
          closed -= top;
          indents.pop();
        } else {
          indents[indents.length - 1] = top - closed;
          closed = 0;
        }
      }
    }
    const expected = 2 * indents.length;
    const actual = line.text.length - line.text.trimStart().length;
    if (actual !== expected) problems.push({ line: index + 1, message: `indented ${actual} spaces, terraform fmt indents ${expected}` });
    if (line.net > 0) indents.push(line.net);
  });

  // Alignment: in a run of consecutive attribute lines, every `=` sits one space after the longest name.
  let chain: number[] = [];
  const closeChain = () => {
    if (chain.length) {
      const width = Math.max(...chain.map((i) => lines[i]!.leadWidth!));
      for (const i of chain) {
        const line = lines[i]!;
        if (line.assignAt !== width + 1) problems.push({ line: i + 1, message: `"=" at column ${line.assignAt! + 1}, terraform fmt aligns it at ${width + 2}` });
      }
    }
    chain = [];
  };
  lines.forEach((line, index) => (line.assignAt === undefined ? closeChain() : chain.push(index)));
  closeChain();
  return problems;
}
