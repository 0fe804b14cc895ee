//===- Targets.cpp - The target table -------------------------------------===//
//
// Part of Sieve. The one place that knows about targets: add a row here and
// every tool, pipeline and test learns about it.
//
//===----------------------------------------------------------------------===//

#include "sieve/Target/TargetInfo.h"

#include "llvm/ADT/STLExtras.h"

using namespace sieve;

static constexpr uint64_t KiB = 1024;
static constexpr uint64_t MiB = 1024 * KiB;

static const TargetInfo kTargets[] = {
    {"x86-64-avx2", "x86-64 with AVX2 and FMA (the host)",
     "x86_64-unknown-linux-gnu", "x86-64-v3", "+avx2,+fma", 256, 64,
     TableLookup::X86Pshufb, DotProduct::X86Maddubs, false, 0, 0, "", 64,
     Runner::Native, ""},
    {"x86-64-avx512", "x86-64 with AVX-512 and VNNI (Ice Lake server)",
     "x86_64-unknown-linux-gnu", "icelake-server",
     "+avx512f,+avx512bw,+avx512vnni", 512, 64, TableLookup::X86Pshufb,
     DotProduct::X86Vnni, false, 0, 0, "", 64, Runner::None, ""},
    {"aarch64", "AArch64 Linux with NEON and dot product (Cortex-A76)",
     "aarch64-unknown-linux-gnu", "cortex-a76", "+neon,+dotprod", 128, 64,
     TableLookup::AArch64Tbl, DotProduct::AArch64Sdot, false, 0, 0, "", 64,
     Runner::QemuUser, "qemu-aarch64 -cpu cortex-a76"},
    {"cortex-m4", "Cortex-M4F with DSP (STM32F412: 256 KiB SRAM, 1 MiB flash)",
     "thumbv7em-none-eabihf", "cortex-m4", "", 32, 32, TableLookup::None,
     DotProduct::ArmSmlad, true, 256 * KiB, 1 * MiB, "mps2-an386", 16,
     Runner::QemuSystem, "qemu-system-arm -M mps2-an386"},
    {"cortex-m7",
     "Cortex-M7 with DSP and FPU (STM32F746: 320 KiB SRAM, 1 MiB flash)",
     "thumbv7em-none-eabihf", "cortex-m7", "", 32, 32, TableLookup::None,
     DotProduct::ArmSmlad, true, 320 * KiB, 1 * MiB, "mps2-an500", 16,
     Runner::QemuSystem, "qemu-system-arm -M mps2-an500"},
    {"cortex-m55",
     "Cortex-M55 with MVE/Helium (Corstone-300: 512 KiB DTCM, 2 MiB flash)",
     "thumbv8.1m.main-none-eabihf", "cortex-m55", "", 128, 32,
     TableLookup::MveGather, DotProduct::MveVmlav, true, 512 * KiB, 2 * MiB,
     "mps3-an547", 16, Runner::QemuSystem, "qemu-system-arm -M mps3-an547"},
};

llvm::ArrayRef<TargetInfo> sieve::getAllTargets() { return kTargets; }

const TargetInfo *sieve::lookupTarget(llvm::StringRef name) {
  for (const TargetInfo &target : kTargets)
    if (target.name == name)
      return &target;
  return nullptr;
}

std::string sieve::getKnownTargetNames() {
  std::string names;
  for (const TargetInfo &target : kTargets) {
    if (!names.empty())
      names += ", ";
    names += target.name.str();
  }
  return names;
}

llvm::StringRef sieve::stringifyTableLookup(TableLookup lookup) {
  switch (lookup) {
  case TableLookup::None:
    return "none";
  case TableLookup::X86Pshufb:
    return "pshufb";
  case TableLookup::AArch64Tbl:
    return "tbl";
  case TableLookup::MveGather:
    return "vldrb-gather";
  }
  llvm_unreachable("unknown table lookup");
}

llvm::StringRef sieve::stringifyDotProduct(DotProduct dot) {
  switch (dot) {
  case DotProduct::None:
    return "none";
  case DotProduct::X86Maddubs:
    return "vpmaddubsw";
  case DotProduct::X86Vnni:
    return "vpdpbusd";
  case DotProduct::AArch64Sdot:
    return "sdot";
  case DotProduct::ArmSmlad:
    return "smlad";
  case DotProduct::MveVmlav:
    return "vmlav";
  }
  llvm_unreachable("unknown dot product");
}

llvm::StringRef sieve::stringifyRunner(Runner runner) {
  switch (runner) {
  case Runner::Native:
    return "native";
  case Runner::QemuUser:
    return "qemu-user";
  case Runner::QemuSystem:
    return "qemu-system";
  case Runner::None:
    return "none";
  }
  llvm_unreachable("unknown runner");
}
