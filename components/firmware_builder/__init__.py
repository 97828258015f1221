"""FirmwareBuilder: compiles, verifies in emulation and packages firmware per target."""
