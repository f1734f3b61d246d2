"""Orchestration: typed requests in, typed results out. No printing, no
argparse, no west; progress and warnings go to ``logging``.

Entry points:

* ``sign_build.sign_build(SignBuildRequest) -> SignBuildResult``: a Zephyr
  build directory to checked, signed images, a merged factory image, a
  signed release manifest and a DFU zip (``west sign-ota``).
* ``verify_build.verify_build(VerifyBuildRequest) -> VerifyBuildResult``:
  a manifest and its files verified as a device would (``west ota-verify``).
* ``summary``: text and JSON renderings of the results for the adapters.

Inner modules: ``requests`` (the request dataclasses), ``results``,
``provenance`` (a value with where it came from), ``resolve`` (build facts +
ota.yml + options -> one ``ImagePlan`` per image), ``trust`` (the keys the
bootloader trusts), ``checks`` (what is refused before a file is written),
``produce`` (signing each image into the staging folder, against MCUboot's
budget), ``merged`` (hex outputs), ``release`` (the manifest's facts),
``staging`` (all-or-nothing output), ``xipram`` (direct-xip's slot1 variant
and ROM_FIXED addresses, ram-load's load address).
"""
