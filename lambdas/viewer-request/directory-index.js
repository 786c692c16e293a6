// CloudFront Function (cloudfront-js-2.0), viewer request: serve index.html for directory URLs.
// S3 behind origin access control has no index documents, so "/docs/" would ask for the key "docs/"
// and "/docs" for the key "docs". A directory URL is one that ends in "/" or whose last segment has no
// dot: "/docs/" → "/docs/index.html"; "/docs" → 301 to "/docs/" so relative links on the page resolve
// against the directory. Plain JavaScript without imports: CloudFront Functions take one file as is.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith("/")) {
    request.uri = uri + "index.html";
    return request;
  }
  var last = uri.substring(uri.lastIndexOf("/") + 1);
  if (last.indexOf(".") === -1) {
    var query = "";
    var keys = Object.keys(request.querystring || {});
    if (keys.length > 0) {
      query =
        "?" +
        keys
          .map((k) => {
            var v = request.querystring[k];
            if (v.multiValue) {
              return v.multiValue.map((m) => k + "=" + m.value).join("&");
            }
            return v.value === "" ? k : k + "=" + v.value;
          })
          .join("&");
    }
    return {
      statusCode: 301,
      statusDescription: "Moved Permanently",
      headers: { location: { value: sameSiteLocation(uri + "/" + query) }, "cache-control": { value: "max-age=3600" } },
    };
  }
  return request;
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
