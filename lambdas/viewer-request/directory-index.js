// CloudFront Function (cloudfront-js-2.0), viewer request. Plain JavaScript without imports other than the
// runtime's own module: CloudFront Functions take one file as is (at most 10 KB), and the local server
// (local/serve.ts) runs this very file in an emulation of that runtime.
//  1. The site's .htaccess redirects (Redirect, RedirectMatch), from the key value store PostSync fills
//     (layout: core/edge-rules.ts). Apache's precedence: the deepest .htaccess first, then line order.
//  2. "/docs/" serves "docs/index.html": S3 behind origin access control has no index documents. PostSync
//     puts the directory's page there (its index.html, else the first DirectoryIndex page, else a listing).
// Everything else goes to the bucket as asked: "/LICENSE" is the file LICENSE; "/docs" (a directory) gets
// the marker object PostSync writes at "docs", which the viewer-response function turns into a 301.
import cf from "cloudfront";

const kvs = cf.kvs();

async function handler(event) {
  var request = event.request;
  var redirect = await redirectFor(request);
  if (redirect) return redirect;
  if (request.uri.endsWith("/")) request.uri = request.uri + "index.html";
  return request;
}

// A key missing from the store (or a store that cannot be read) means no rule: the site keeps serving.
async function lookup(key) {
  try {
    return JSON.parse(await kvs.get(key));
  } catch (e) {
    return null;
  }
}

async function redirectFor(request) {
  var index = await lookup("x");
  if (!index) return null;
  var path = decodePath(request.uri);
  var best = null;
  // Redirect: the rule's URL-path is a prefix of the path ending at a segment boundary. Look up every such
  // prefix up to the deepest rule's length: "/a/b/c" → "/", "/a", "/a/", "/a/b", "/a/b/", "/a/b/c".
  var candidates = [];
  var segments = 0;
  for (var i = 0; i < path.length && segments <= index.d; i++) {
    if (path.charAt(i) !== "/") continue;
    if (i > 0) candidates.push(path.substring(0, i));
    candidates.push(path.substring(0, i + 1));
    segments++;
  }
  if (segments <= index.d) candidates.push(path);
  var found = await Promise.all(candidates.map((c) => lookup("p" + c)));
  for (var c = 0; c < candidates.length; c++) {
    var rows = found[c] || [];
    for (var r = 0; r < rows.length; r++) {
      var row = rows[r];
      if ((best && row[0] > best.rank) || !path.startsWith(row[2])) continue;
      var rest = path.substring(candidates[c].length);
      best = { rank: row[0], status: row[1], to: row[3] === undefined ? undefined : row[3] + encodePath(rest) };
    }
  }
  // RedirectMatch: the .htaccess files above the path that have any, chunk by chunk.
  var scopes = Object.keys(index.m).filter((s) => path.startsWith(s));
  for (var s = 0; s < scopes.length; s++) {
    for (var n = 0; n < index.m[scopes[s]]; n++) {
      var list = (await lookup("m" + scopes[s] + "#" + n)) || [];
      for (var m = 0; m < list.length; m++) {
        var rule = list[m];
        if (best && rule[0] > best.rank) continue;
        var match = new RegExp(rule[2]).exec(path);
        if (match)
          best = { rank: rule[0], status: rule[1], to: rule[3] === undefined ? undefined : fill(rule[3], match) };
      }
    }
  }
  if (!best) return null;
  if (best.to === undefined) return { statusCode: best.status, statusDescription: reason(best.status) };
  var location = best.to;
  var query = queryString(request.querystring);
  if (query !== "" && location.indexOf("?") === -1) location = location + "?" + query;
  if (location.charAt(0) === "/" || location.charAt(0) === "\\") location = sameSiteLocation(location);
  return {
    statusCode: best.status,
    statusDescription: reason(best.status),
    headers: { location: { value: location } },
  };
}

// Apache matches the decoded path; a malformed escape is matched as written.
function decodePath(uri) {
  try {
    return decodeURIComponent(uri);
  } catch (e) {
    return uri;
  }
}

function encodePath(text) {
  return encodeURI(text).replace(/[?#]/g, (c) => (c === "?" ? "%3F" : "%23"));
}

// $0…$9 in a RedirectMatch target are the match and its groups.
function fill(target, match) {
  return target.replace(/\$([0-9])/g, (_all, d) => encodePath(match[Number(d)] || ""));
}

function reason(status) {
  var reasons = { 301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect" };
  reasons[308] = "Permanent Redirect";
  reasons[410] = "Gone";
  return reasons[status] || "Redirect";
}

function queryString(querystring) {
  var keys = Object.keys(querystring || {});
  return keys
    .map((k) => {
      var v = querystring[k];
      if (v.multiValue) return v.multiValue.map((m) => k + "=" + m.value).join("&");
      return v.value === "" ? k : k + "=" + v.value;
    })
    .join("&");
}

// A Location of "//host/…" or "/\host/…" sends the browser to another host (browsers read "\" as "/" and
// drop tabs and newlines before parsing), so control characters are encoded first and any leading run of
// slashes and backslashes becomes one slash: the redirect can only name a path on this site.
function sameSiteLocation(location) {
  var encoded = location.replace(/[\x00-\x20\x7f]/g, (c) => {
    var hex = c.charCodeAt(0).toString(16).toUpperCase();
    return "%" + (hex.length === 1 ? "0" + hex : hex);
  });
  return encoded.replace(/^[/\\]+/, "/");
}
