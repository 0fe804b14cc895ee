//===- TargetInfo.h - The targets Sieve compiles for ------------*- C++ -*-===//
//
// Part of Sieve. One table (lib/Target/Targets.cpp) describes every target:
// what LLVM needs to generate code for it, which SIMD instructions the
// kernels may use, the memory of a typical MCU board, and how the tests run
// its code on this machine.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TARGET_TARGETINFO_H
#define SIEVE_TARGET_TARGETINFO_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace sieve {

/// An in-register table lookup on 16 byte entries.
enum class TableLookup {
  None,
  X86Pshufb,  ///< vpshufb: 16-entry tables per 128-bit lane
  AArch64Tbl, ///< tbl: 16-entry (or 2x16) tables
  MveGather,  ///< no in-register table; vldrb gathers from memory
};

/// The widest int8 dot-product instruction family.
enum class DotProduct {
  None,
  X86Maddubs,  ///< vpmaddubsw + vpmaddwd (AVX2)
  X86Vnni,     ///< vpdpbusd (AVX-512 VNNI)
  AArch64Sdot, ///< sdot (+dotprod)
  ArmSmlad,    ///< smlad: two int16 MACs per instruction (ARMv7E-M DSP)
  MveVmlav,    ///< vmlav.s8: 16 int8 MACs (M-profile vector extension)
};

/// How the tests run a target's code here.
enum class Runner {
  Native,     ///< a hosted executable on this machine
  QemuUser,   ///< a static Linux executable under qemu-<arch>
  QemuSystem, ///< a bare-metal image under qemu-system-arm, semihosting
  None,       ///< compiled and analysed only
};

struct TargetInfo {
  llvm::StringLiteral name;
  llvm::StringLiteral summary;
  llvm::StringLiteral triple;
  llvm::StringLiteral cpu;
  llvm::StringLiteral features;
  /// Width of the SIMD registers the kernels use (0: none, 32: packed SIMD in
  /// general-purpose registers).
  unsigned vectorBits;
  unsigned pointerBits;
  TableLookup tableLookup;
  DotProduct dotProduct;
  /// Microcontroller: bare metal, no heap, no libm; defaults below apply.
  bool isMicrocontroller;
  /// SRAM and flash of the reference board (0 on CPUs): the default memory
  /// budget and the limit the report checks weights against.
  uint64_t sramBytes;
  uint64_t flashBytes;
  llvm::StringLiteral board;
  /// Byte alignment of arena offsets (and the arena itself).
  unsigned arenaAlignment;
  Runner runner;
  /// The emulator invocation for QemuUser/QemuSystem ("" otherwise).
  llvm::StringLiteral runCommand;

  /// The largest object (a tensor, the arena) that code for this target can
  /// address: offsets are signed pointer-sized integers, and user space on
  /// x86-64 and AArch64 Linux spans 47 bits.
  uint64_t maxObjectBytes() const {
    return pointerBits == 32 ? (uint64_t(1) << 31) - 1 : uint64_t(1) << 47;
  }
  /// How many bytes of constants (weights) an image may hold: the board's
  /// flash on an MCU; on a CPU, the 2 GiB that the small code model (what
  /// compiled objects use) can address.
  uint64_t defaultFlashBudget() const {
    return flashBytes ? flashBytes : uint64_t(2) << 30;
  }
};

/// Every target, the host default first.
llvm::ArrayRef<TargetInfo> getAllTargets();

/// The target called `name`, or null.
const TargetInfo *lookupTarget(llvm::StringRef name);

/// "x86-64-avx2, x86-64-avx512, ...", for diagnostics.
std::string getKnownTargetNames();

llvm::StringRef stringifyTableLookup(TableLookup lookup);
llvm::StringRef stringifyDotProduct(DotProduct dot);
llvm::StringRef stringifyRunner(Runner runner);

} // namespace sieve

#endif // SIEVE_TARGET_TARGETINFO_H
