//===- TernaryKernels.h - The kernels of tern.matmul ------------*- C++ -*-===//
//
// Part of Sieve. Which kernels exist, which targets have the instructions
// they need, and the cost model's choice (docs/ternary.md).
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_TRANSFORMS_TERNARYKERNELS_H
#define SIEVE_DIALECT_TERN_TRANSFORMS_TERNARYKERNELS_H

#include "sieve/Target/TargetInfo.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace sieve {

enum class TernaryKernel {
  Portable, ///< linalg.generic decoding i2 or t5 codes; any target
  Maddubs,  ///< i2 codes, vpmaddubsw + vpmaddwd (x86 AVX2 / AVX-512)
  Sdot,     ///< i2 codes, sdot (AArch64 dot product)
  Smlad,    ///< i2 codes, sxtb16 + smlad (Cortex-M4/M7 DSP)
  Vmladav,  ///< i2 codes, vmladav.s8 (Cortex-M55 MVE)
  Vpdpbusd, ///< i2 codes masked in place, vpdpbusd on 512-bit vectors
            ///< (x86 AVX-512 VNNI)
  Lut,      ///< tables of partial sums indexed by weight codes: vpshufb
            ///< (x86) or tbl (AArch64) on i2, tables in memory (MCUs) on t5
};

/// Every kernel and its name: the one table that the parser, the
/// verifier's and the pass's diagnostics and the option help texts read.
struct TernaryKernelEntry {
  TernaryKernel kernel;
  const char *name;
};
inline constexpr TernaryKernelEntry kTernaryKernels[] = {
    {TernaryKernel::Portable, "portable"}, {TernaryKernel::Maddubs, "maddubs"},
    {TernaryKernel::Vpdpbusd, "vpdpbusd"}, {TernaryKernel::Sdot, "sdot"},
    {TernaryKernel::Smlad, "smlad"},       {TernaryKernel::Vmladav, "vmladav"},
    {TernaryKernel::Lut, "lut"},
};

llvm::StringRef getTernaryKernelName(TernaryKernel kernel);
std::optional<TernaryKernel> parseTernaryKernel(llvm::StringRef name);
/// The kernel names separated by ", " (and `lastSeparator` before the last).
std::string getTernaryKernelNames(llvm::StringRef lastSeparator = ", ");
/// The help text of the options that force a kernel, with static storage.
llvm::StringRef getTernaryKernelOptionHelp();
/// The instructions `kernel` needs, for diagnostics.
llvm::StringRef getTernaryKernelNeed(TernaryKernel kernel);
bool targetHasTernaryKernel(const TargetInfo &target, TernaryKernel kernel);
/// Whether sieve-lower-ternary can lower `kernel` (LowerTernary.cpp).
bool isTernaryKernelImplemented(TernaryKernel kernel);
/// The cost model: the best implemented kernel the target has for a layer
/// of `n` output channels (the lut kernel's tables are built once per
/// activation vector and pay off over many channels).
TernaryKernel chooseTernaryKernel(const TargetInfo &target, bool floatInput,
                                  int64_t n);
/// The packing `kernel` reads on `target` (lut: t5 on MCUs, i2 elsewhere).
bool ternaryKernelReadsT5(const TargetInfo &target, TernaryKernel kernel);

/// The bytes of packed weights `kernel` stores for an n x k layer whose
/// packing has `rowBytes` per row, padding included: kernels that reorder
/// the weights into tiles of channels pad the last tile (LowerTernary.cpp).
int64_t ternaryKernelPackedBytes(const TargetInfo &target, TernaryKernel kernel,
                                 int64_t n, int64_t k, int64_t rowBytes);

} // namespace sieve

#endif // SIEVE_DIALECT_TERN_TRANSFORMS_TERNARYKERNELS_H
