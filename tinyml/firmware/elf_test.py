import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model
from tinyml.firmware.elf import ElfFile, image_sizes
from tinyml.profiles import load_profiles


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    fixture_model.skip_without_tools(emulator=False)
    work = tmp_path_factory.mktemp("elf")
    objects = fixture_model.compile_fixture(load_profiles()["cortex-m4f"], work)
    return fixture_model.link_app(objects, work)


@pytest.mark.qemu
def test_sizes_follow_the_sections(image):
    elf = ElfFile(image.elf)
    by_name = {s.name: s.size for s in elf.sections}
    sizes = image_sizes(image.elf)
    assert sizes.text_bytes == by_name[".text"] + by_name.get(".ARM.exidx", 0)
    assert sizes.data_bytes == by_name.get(".data", 0)
    assert sizes.bss_bytes == by_name[".bss"]
    assert sizes.stack_bytes == load_profiles()["cortex-m4f"].stack_bytes
    assert sizes.flash_bytes == sizes.text_bytes + sizes.data_bytes
    assert sizes.ram_bytes == sizes.data_bytes + sizes.bss_bytes + sizes.stack_bytes


@pytest.mark.qemu
def test_symbol_sizes(image):
    elf = ElfFile(image.elf)
    # The fixture plan's own tensors (main.c has no buffers: it uses the plan's).
    assert elf.symbol_size("input_tensor") == fixture_model.INPUT_BYTES
    assert elf.symbol_size("output_tensor") == fixture_model.OUTPUT_BYTES
    assert elf.symbol_size("tml_vector_table") == 4 * (16 + 32)
    assert elf.symbol_size("no_such_symbol") is None


def test_not_an_elf(tmp_path):
    junk = tmp_path / "x.elf"
    junk.write_bytes(b"MZ" + bytes(100))
    with pytest.raises(TinymlError, match="not a 32-bit little-endian ELF"):
        ElfFile(junk)
