// CloudFront Function (cloudfront-js-2.0), viewer response: "/docs" → 301 "/docs/" when docs is a
// directory. PostSync writes a tiny marker object at the key "docs" for every directory "docs/" (no file
// can have that key: a POSIX directory cannot hold a file and a folder of one name), whose metadata
// x-amz-meta-sitesync-version is "directory" (a file's version is never that word). Decided by data, not
// by the name: "/LICENSE" is a file and is served.
// CloudFront runs viewer-response functions only when the origin answered below 400
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html),
// which is all this needs. The response is changed in place: its read-only headers (Content-Length, …)
// must stay, and the marker's own small HTML body ("moved to docs/") is a fitting body for the 301.
function handler(event) {
  var response = event.response;
  var version = response.headers["x-amz-meta-sitesync-version"];
  if (response.statusCode !== 200 || !version || version.value !== "directory") return response;
  var request = event.request;
  var query = queryString(request.querystring);
  response.statusCode = 301;
  response.statusDescription = "Moved Permanently";
  response.headers.location = { value: sameSiteLocation(request.uri + "/" + (query === "" ? "" : "?" + query)) };
  response.headers["cache-control"] = { value: "max-age=3600" };
  return response;
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

// As in directory-index.js: the Location can only name a path on this site.
function sameSiteLocation(location) {
  var encoded = location.replace(/[\x00-\x20\x7f]/g, (c) => {
    var hex = c.charCodeAt(0).toString(16).toUpperCase();
    return "%" + (hex.length === 1 ? "0" + hex : hex);
  });
  return encoded.replace(/^[/\\]+/, "/");
}
