#!/usr/bin/env python3
"""FacePlatform from Python with only the standard library: create a collection, enrol a photo, search, print.

    FACEPLATFORM_URL=http://localhost:8080 FACEPLATFORM_API_KEY=fp_... \
        python3 examples/python/faceplatform_example.py --enroll obama.jpg --name obama --search probe.jpg

Prints the collection, the enrolled face and, per face of the searched photo, the best matches; deletes the
collection at the end unless --keep is given. Exit status 0 on success, 1 when the platform refused a call (its
problem details are printed).
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
import uuid


class PlatformError(Exception):
    """A call the platform refused: HTTP status and its RFC 9457 problem details."""

    def __init__(self, status, problem):
        self.status = status
        self.problem = problem
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")


class FacePlatform:
    """The few REST calls this example needs; every request carries the API key in X-Api-Key."""

    def __init__(self, url, key, timeout=60):
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout

    def _call(self, method, path, body=None, content_type=None):
        headers = {"X-Api-Key": self.key, "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as refused:
            try:
                problem = json.load(refused)
            except ValueError:
                problem = {"title": refused.reason}
            raise PlatformError(refused.code, problem) from None

    def _json(self, method, path, payload):
        return self._call(method, path, json.dumps(payload).encode(), "application/json")

    def _photo(self, path, photo, fields=None):
        # multipart/form-data by hand: the file in field "image", other fields as text parts.
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (fields or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        with open(photo, "rb") as f:
            content = f.read()
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{os.path.basename(photo)}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self._call("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def create_collection(self, name):
        return self._json("POST", "/v1/collections", {"name": name, "description": "made by faceplatform_example.py"})

    def delete_collection(self, collection_id):
        return self._call("DELETE", f"/v1/collections/{collection_id}")

    def create_subject(self, collection_id, external_id):
        return self._json("POST", f"/v1/collections/{collection_id}/subjects", {"externalId": external_id, "displayName": external_id})

    def enroll(self, collection_id, subject_id, photo):
        return self._photo(f"/v1/collections/{collection_id}/subjects/{subject_id}/faces", photo)

    def search(self, collection_id, photo, top_k=3):
        return self._photo(f"/v1/collections/{collection_id}/search", photo, {"topK": top_k})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("FACEPLATFORM_URL", "http://localhost:8080"))
    parser.add_argument("--key", default=os.environ.get("FACEPLATFORM_API_KEY", ""))
    parser.add_argument("--enroll", required=True, help="photo of the person to enrol")
    parser.add_argument("--name", default="person", help="the person's external id")
    parser.add_argument("--search", required=True, help="photo to search the collection with")
    parser.add_argument("--keep", action="store_true", help="keep the collection")
    args = parser.parse_args()
    if not args.key:
        parser.error("no API key: pass --key or set FACEPLATFORM_API_KEY")

    platform = FacePlatform(args.url, args.key)
    collection = platform.create_collection("python-example-" + uuid.uuid4().hex[:8])
    print(f"collection {collection['name']} ({collection['id']})")
    try:
        subject = platform.create_subject(collection["id"], args.name)
        enrolled = platform.enroll(collection["id"], subject["id"], args.enroll)
        face = enrolled["faces"][0]
        print(f"enrolled {args.name}: face {face['id']}, quality {face['quality']:.2f}")
        found = platform.search(collection["id"], args.search)
        for index, searched in enumerate(found["faces"], 1):
            matches = ", ".join(f"{m['externalId']} ({m['similarity']:.3f})" for m in searched["matches"])
            print(f"face {index}: {matches or 'unknown'}")
        if not found["faces"]:
            print("no face found in the searched photo")
    except PlatformError as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            platform.delete_collection(collection["id"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
