// A small SPARQL highlighter: turns query text into HTML spans by token class.
// Written for hubgraph; it only colours, it does not check the syntax.
(function () {
  "use strict";

  const KEYWORDS = new Set((
    "BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT DESCRIBE ASK FROM NAMED WHERE ORDER BY " +
    "ASC DESC LIMIT OFFSET VALUES OPTIONAL GRAPH SERVICE SILENT BIND UNION MINUS FILTER NOT " +
    "EXISTS IN GROUP HAVING UNDEF TRUE FALSE A"
  ).split(" "));
  const FUNCTIONS = new Set((
    "STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN " +
    "UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY " +
    "HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE " +
    "IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE " +
    "COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR"
  ).split(" "));

  // One alternative per token class, tried left to right at each position.
  const TOKEN = new RegExp([
    "(#[^\\n]*)",                                                   // 1 comment
    "(\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)" +
      "|\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?)",   // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                                     // 3 IRI
    "([?$][A-Za-z_\\u00C0-\\uFFFF][\\w\\u00B7\\u00C0-\\uFFFF]*)",   // 4 variable
    "(@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",                               // 5 language tag
    "((?:[A-Za-z][\\w.-]*)?:(?:[\\w\\u00C0-\\uFFFF%:-](?:[\\w\\u00C0-\\uFFFF.%:-]*[\\w\\u00C0-\\uFFFF%:-])?)?)", // 6 prefixed name
    "(\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b)",                   // 7 number
    "([A-Za-z_][A-Za-z_0-9]*)",                                     // 8 word
    "(\\^\\^)",                                                     // 9 datatype marker
  ].join("|"), "g");
  const CLASSES = [null, "c", "s", "i", "v", "l", "p", "n", null, "o"];

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function highlightSparql(text) {
    let out = "";
    let last = 0;
    TOKEN.lastIndex = 0;
    let match;
    while ((match = TOKEN.exec(text)) !== null) {
      if (match[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(text.slice(last, match.index));
      let cls = null;
      for (let g = 1; g < match.length; g++) {
        if (match[g] !== undefined) {
          cls = CLASSES[g];
          if (g === 8) {
            const upper = match[g].toUpperCase();
            cls = KEYWORDS.has(upper) && (upper !== "A" || match[g] === "a") ? "k"
              : FUNCTIONS.has(upper) ? "f" : null;
          }
          break;
        }
      }
      const token = escapeHtml(match[0]);
      out += cls ? `<span class="t-${cls}">${token}</span>` : token;
      last = TOKEN.lastIndex;
    }
    out += escapeHtml(text.slice(last));
    return out;
  }

  window.highlightSparql = highlightSparql;
})();
