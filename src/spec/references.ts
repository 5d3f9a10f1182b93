/**
 * Checks for values Pier hands to other programs (podman, pip, the prober, spawn):
 * each must be what the field means and nothing a program could read as an option,
 * a file or another address (issue 12). Every check returns the rest of a message
 * ("is not …; fix") or undefined when the value is fine.
 */

import { isIP } from 'node:net';

const IMAGE_FORM = '[registry[:port]/]name[:tag][@digest]';
const IMAGE_EXAMPLE = '"registry.example.com/team/app:1"';

// The grammar of github.com/distribution/reference (regexp.go), which podman and docker follow.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const NAME = `(?:${HOST}(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);
const NAME_MAX = 255;

export function checkImage(image: string): string | undefined {
  const fix = `write it as ${IMAGE_FORM}, e.g. ${IMAGE_EXAMPLE}`;
  if (image.startsWith('-')) return `must not start with "-" (podman would read it as an option); ${fix}`;
  // Checked before the pattern, whose backtracking grows with the square of the length.
  if (image.length > 2 * NAME_MAX) return `has a name longer than ${NAME_MAX} characters; ${fix}`;
  const m = REFERENCE.exec(image);
  if (!m) {
    const lower = image.toLowerCase();
    if (lower !== image && REFERENCE.test(lower)) {
      return `is not an image reference: repository names are lower case; write ${JSON.stringify(lower)} (form ${IMAGE_FORM})`;
    }
    return `is not an image reference; ${fix}`;
  }
  if (m[1].length > NAME_MAX) return `has a name longer than ${NAME_MAX} characters; ${fix}`;
  return undefined;
}

// PEP 508 (https://peps.python.org/pep-0508/), the part pip takes on its command line.
const PKG = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?';
const EXTRAS = `\\[\\s*(?:${PKG}(?:\\s*,\\s*${PKG})*)?\\s*\\]`;
const VERSION_ONE = '(?:===|~=|==|!=|<=|>=|<|>)\\s*[A-Za-z0-9_.*+!-]+';
const VERSION_MANY = `${VERSION_ONE}(?:\\s*,\\s*${VERSION_ONE})*`;
const VERSION_SPEC = `(?:\\(\\s*${VERSION_MANY}\\s*\\)|${VERSION_MANY})`;
const BY_VERSION = new RegExp(`^\\s*${PKG}\\s*(?:${EXTRAS})?\\s*(?:${VERSION_SPEC})?\\s*(?:;(?<marker>.*))?$`, 's');
const BY_URL = new RegExp(`^\\s*${PKG}\\s*(?:${EXTRAS})?\\s*@\\s*(?<url>\\S+)(?:\\s+;(?<marker>.*))?\\s*$`, 's');
const MARKER_VARS =
  'python_version|python_full_version|os_name|sys_platform|platform_release|platform_system|platform_version|platform_machine|platform_python_implementation|implementation_name|implementation_version|extra';
const MARKER_TOKEN = new RegExp(
  `^\\s*(?:\\(|\\)|(?:and|or|not\\s+in|in)(?![\\w])|===|==|!=|<=|>=|~=|<|>|"[^"\\p{Cc}]*"|'[^'\\p{Cc}]*'|(?:${MARKER_VARS})(?![\\w]))`,
  'u',
);
const REQUIREMENT_MAX = 1000;
const ARCHIVE = /\.(whl|zip|tar|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tar\.lz|tlz)$/i;
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:(\/\/|[^\d\s])/;

function validMarker(marker: string): boolean {
  let rest = marker;
  for (let n = 0; n < 200 && rest.trim() !== ''; n++) {
    const m = MARKER_TOKEN.exec(rest);
    if (!m) return false;
    rest = rest.slice(m[0].length);
  }
  return rest.trim() === '';
}

export function checkRequirement(req: string): string | undefined {
  const fix =
    'give one PEP 508 requirement per entry (name, optional [extras], version and ; markers), e.g. "numpy==1.26.4"';
  const badMarker = `has an environment marker Pier cannot read (markers look like ; python_version < "3.11"); ${fix}`;
  const text = req.trim();
  if (text.length > REQUIREMENT_MAX) return `is longer than ${REQUIREMENT_MAX} characters; ${fix}`;
  if (text.startsWith('-')) {
    return `is a pip option, not a requirement; ${fix} (a requirements file goes in prepare.pythonRequirementsPath)`;
  }
  const byUrl = BY_URL.exec(text);
  if (byUrl?.groups) {
    if (!/^https:\/\/[^\s]+$/.test(byUrl.groups.url)) {
      return `is a direct reference to ${JSON.stringify(byUrl.groups.url.slice(0, 40))}; only https:// URLs are allowed after "@"; ${fix}`;
    }
    if (byUrl.groups.marker !== undefined && !validMarker(byUrl.groups.marker)) return badMarker;
    return undefined;
  }
  if (URL_LIKE.test(text))
    return `is a URL, not a requirement; write "name @ https://…" for a direct reference, or ${fix}`;
  if (/^[./~\\]/.test(text) || /[/\\]/.test(text.split(';')[0]) || ARCHIVE.test(text.split(';')[0].trim())) {
    return `is a file path, not a requirement; ${fix} (a requirements file goes in prepare.pythonRequirementsPath)`;
  }
  const m = BY_VERSION.exec(text);
  if (!m) return `is not a requirement specifier; ${fix}`;
  if (m.groups?.marker !== undefined && !validMarker(m.groups.marker)) return badMarker;
  return undefined;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A host name (RFC 1123) or an IP literal: no user, port, path or fragment can ride along. */
export function checkHost(host: string): string | undefined {
  const fix =
    'is not a host name or an IP address; give only the name or address, e.g. "127.0.0.1" (the port goes in port, the path in path)';
  if (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6) {
    return `is an IPv6 address in brackets; write it without them, e.g. ${JSON.stringify(host.slice(1, -1))} (as Kubernetes takes host)`;
  }
  if (isIP(host)) return undefined;
  if (host.length > 253) return fix;
  return host.split('.').every((label) => LABEL.test(label)) ? undefined : fix;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects.
const BAD_PATH_CHAR = /[\s\u0000-\u001f\u007f#]/;

/** The prober puts a "/" in front of a relative path (as kubelet does), so "health" is fine; "@host" is not. */
export function checkHttpPath(path: string): string | undefined {
  if (BAD_PATH_CHAR.test(path) || !/^[/A-Za-z0-9._~-]/.test(path)) {
    return 'is not a URL path: it must start with "/" (or a letter) and contain no spaces, control characters or "#"; e.g. "/health"';
  }
  return undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** RFC 9110 §5.1: a field name is a token. */
export function checkHeaderName(name: string): string | undefined {
  return TOKEN.test(name) ? undefined : 'is not a valid HTTP header name; use letters, digits and "-", e.g. "Host"';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects.
const BAD_HEADER_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** RFC 9110 §5.5: no CR, LF or other control characters (a tab is allowed). */
export function checkHeaderValue(value: string): string | undefined {
  return BAD_HEADER_VALUE.test(value) ? 'contains a control character (CR, LF, NUL…); remove it' : undefined;
}

/** The operating system ends C strings at NUL, so spawn() refuses arguments and environment values with one. */
export function checkNoNul(value: string): string | undefined {
  return value.includes('\u0000') ? 'contains a NUL character, which no program can receive; remove it' : undefined;
}
