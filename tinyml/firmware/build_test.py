import dataclasses

import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import build, fixture_model, toolchain
from tinyml.firmware.elf import ElfFile
from tinyml.profiles import load_profiles

PROFILES = sorted(load_profiles())


@pytest.fixture(scope="module", autouse=True)
def _needs_gcc():
    fixture_model.skip_without_tools(emulator=False)


def test_every_profile_has_a_target_directory():
    for name in PROFILES:
        assert (build.TARGETS_DIR / name / "target.h").is_file(), name


def test_memory_script_has_the_profiles_real_sizes_and_origins():
    p = load_profiles()["cortex-m33"]
    script = build.MemoryRegions.of_profile(p).linker_script()
    assert f"ORIGIN = 0x10000000, LENGTH = {p.flash_bytes}" in script
    assert f"ORIGIN = 0x38000000, LENGTH = {p.ram_bytes}" in script
    assert f"__stack_size = {p.stack_bytes};" in script


@pytest.mark.qemu
@pytest.mark.parametrize("name", PROFILES)
def test_app_links_for_every_profile_at_its_memory_origins(name, tmp_path):
    p = load_profiles()[name]
    image = fixture_model.link_app(fixture_model.compile_fixture(p, tmp_path), tmp_path)
    elf = ElfFile(image.elf)
    text = next(s for s in elf.sections if s.name == ".text")
    stack = next(s for s in elf.sections if s.name == ".stack")
    assert text.addr == p.memory.flash_origin  # the vector table comes first
    assert stack.addr >= p.memory.ram_origin and stack.size == p.stack_bytes
    assert image.sizes.ram_bytes <= p.ram_bytes and 0 < image.sizes.flash_bytes <= p.flash_bytes
    # The first vector is the initial stack pointer: the top of the stack reserve.
    data = image.elf.read_bytes()
    sp = int.from_bytes(data[text.offset : text.offset + 4], "little")
    assert sp == stack.addr + stack.size
    bin_path, hex_path = image.write_binaries(toolchain.find_toolchain())
    assert bin_path.stat().st_size == image.sizes.flash_bytes
    assert hex_path.read_text().startswith(":")


@pytest.mark.qemu
def test_over_budget_ram_fails_to_link_with_the_numbers(tmp_path):
    p = load_profiles()["cortex-m3"]
    objects = fixture_model.compile_fixture(p, tmp_path)
    small = dataclasses.replace(build.MemoryRegions.of_profile(p), ram_bytes=p.stack_bytes + 64)
    with pytest.raises(TinymlError) as err:
        fixture_model.link_app(objects, tmp_path, small)
    text = str(err.value)
    assert "does not fit target 'cortex-m3'" in text
    assert f"the target has {p.stack_bytes + 64}" in text and "bytes over" in text


@pytest.mark.qemu
def test_over_budget_flash_fails_to_link_with_the_numbers(tmp_path):
    p = load_profiles()["cortex-m4f"]
    objects = fixture_model.compile_fixture(p, tmp_path)
    small = dataclasses.replace(build.MemoryRegions.of_profile(p), flash_bytes=512)
    with pytest.raises(TinymlError, match=r"flash .* needs \d+ bytes but the target has 512 \(\d+ bytes over\)"):
        fixture_model.link_app(objects, tmp_path, small)


def test_compile_error_is_reported(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int f(void) { return undeclared; }\n")
    with pytest.raises(TinymlError, match="compiling .*bad.c for cortex-m4f failed"):
        build.compile_objects(load_profiles()["cortex-m4f"], [bad], [], tmp_path / "obj")


IRQ_MAIN = """\
#include <stdint.h>
#include "board.h"

#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ISPR0 (*(volatile uint32_t *)0xE000E200u)

static volatile uint32_t taken;

/* A board file's handler for external interrupt 5 (say, a DMA stream). */
void IRQ5_Handler(void) { taken++; }

int main(void) {
  board_init();
  NVIC_ISER0 = 1u << 5;
  NVIC_ISPR0 = 1u << 5;
  __asm volatile("dsb\\n\\tisb" ::: "memory");
  board_halt(taken == 1u ? 0 : 1);
}
"""


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m3", "cortex-m4f"])
def test_a_board_file_overrides_an_interrupt_handler(tmp_path, target):
    """External interrupts go to weak IRQ<n>_Handler: one defined in the app runs (a pending
    interrupt that reached Default_Handler would spin there until QEMU's timeout)."""
    from tinyml.firmware import qemu

    fixture_model.skip_without_tools()
    profile = load_profiles()[target]
    (tmp_path / "irq_main.c").write_text(IRQ_MAIN)
    objects = fixture_model.compile_fixture(profile, tmp_path)
    image = build.link(objects, [tmp_path / "irq_main.c"], tmp_path / "irq.elf", build.MemoryRegions.of_profile(profile))
    assert qemu.run_elf(image.elf, profile, timeout_s=30).returncode == 0


def test_the_irq_list_has_one_entry_per_interrupt():
    assert build.irq_handlers_header(3).endswith("#define TML_IRQ_LIST(X) X(0) X(1) X(2)\n")
