"""The signed release manifest (issue 9): model, canonical bytes, signatures,
verification, and the exports phones (dfu_application.zip) and TUF need.

Modules (pure core; no CLI, no printing):

- ``model``      frozen dataclasses: ``ReleaseManifest``, ``ImageEntry``, ``Version``, ...
- ``build``      ``ImageFacts`` + ``ReleaseRequest`` -> ``build_manifest()``
- ``convert``    records <-> JSON values (strict reading, errors with key paths)
- ``canonical``  our RFC 8785 (JCS) serializer for the manifest's JSON subset
- ``signing``    detached signatures ``[{keyid, alg, sig}]``, threshold verification
- ``io``         parse/read/write (atomic), the shipped ``schema.json``
- ``verify``     ``verify_release()``: signatures, files, images (``ImageChecker``), policy
- ``dfu_zip``    NCS-compatible ``dfu_application.zip``
- ``tuf_export`` TUF targets fragment (optional extra ``zephyr-ota[tuf]``)
"""
