"""The MCUboot image format, pure: build, parse, verify, encrypt.

Entry points (see each module's docstring):
- ``build.sign_image(request, firmware, signer, output, encryption=None) -> SignedImage``
  with ``request.SignRequest`` (every ``imgtool sign`` option), ``build.Encryption``,
  ``build.FixedSignature``;
- ``parse.read_image(path)`` / ``parse.parse_image(data, where)`` -> ``ParsedImage``;
- ``verify.verify_file(path, key, decrypt_key)`` / ``verify.verify_image(...)``
  -> ``VerifyResult`` (truthy when valid), ``verify.decrypt_body``;
- ``info.describe`` / ``info.format_text`` for ``zephyr-ota info``;
- format pieces: ``constants`` (TlvType, ImageFlag, magics), ``version``
  (ImageVersion, Dependency), ``header``, ``tlv``, ``trailer``, ``encrypt``.

Modules are imported on use (``from zephyr_ota.image.build import sign_image``)
so that importing this package stays cheap.
"""
