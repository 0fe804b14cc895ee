//===- SelectTernaryKernel.cpp - Kernel and packing per tern.matmul -------===//
//
// Part of Sieve. The cost model is the target table's dot-product family:
// measured on this machine (bench/ternary_bench.py, docs/ternary.md), a
// multiply-add kernel on 2-bit codes beats the portable decode loop wherever
// the target has an int8 (or int16 pair) multiply-add, and the 2-bit layout
// costs one shift and one AND per vector of codes where the 1.6-bit layout
// costs a division chain per weight; so i2 unless asked otherwise.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Tern/Transforms/Passes.h"

#include "sieve/Dialect/Tern/IR/TernOps.h"
#include "sieve/Dialect/Tern/Transforms/TernaryKernels.h"
#include "sieve/Target/TargetInfo.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FormatVariadic.h"

namespace sieve::tern {
#define GEN_PASS_DEF_SELECTTERNARYKERNEL
#include "sieve/Dialect/Tern/Transforms/Passes.h.inc"
} // namespace sieve::tern

using namespace mlir;
using namespace sieve;

StringRef sieve::getTernaryKernelName(TernaryKernel kernel) {
  for (const TernaryKernelEntry &entry : kTernaryKernels)
    if (entry.kernel == kernel)
      return entry.name;
  return "portable";
}

std::optional<TernaryKernel> sieve::parseTernaryKernel(StringRef name) {
  for (const TernaryKernelEntry &entry : kTernaryKernels)
    if (name == entry.name)
      return entry.kernel;
  return std::nullopt;
}

std::string sieve::getTernaryKernelNames(StringRef lastSeparator) {
  std::string names;
  size_t count = std::size(kTernaryKernels);
  for (size_t i = 0; i < count; ++i) {
    if (i > 0)
      names += i + 1 == count ? lastSeparator.str() : ", ";
    names += kTernaryKernels[i].name;
  }
  return names;
}

StringRef sieve::getTernaryKernelOptionHelp() {
  static const std::string help =
      "Kernel of every ternary layer: auto (the cost model, default), " +
      getTernaryKernelNames();
  return help;
}

StringRef sieve::getTernaryKernelNeed(TernaryKernel kernel) {
  switch (kernel) {
  case TernaryKernel::Portable:
    return "nothing";
  case TernaryKernel::Maddubs:
    return "vpmaddubsw (AVX2)";
  case TernaryKernel::Sdot:
    return "sdot (AArch64 dot product)";
  case TernaryKernel::Smlad:
    return "smlad/sxtb16 (ARMv7E-M DSP)";
  case TernaryKernel::Vmladav:
    return "vmladav (M-profile vector extension)";
  case TernaryKernel::Vpdpbusd:
    return "vpdpbusd (AVX-512 VNNI)";
  case TernaryKernel::Lut:
    return "vpshufb (AVX2), tbl (AArch64) or a microcontroller's memory";
  }
  return "";
}

bool sieve::targetHasTernaryKernel(const TargetInfo &target,
                                   TernaryKernel kernel) {
  switch (kernel) {
  case TernaryKernel::Portable:
    return true;
  case TernaryKernel::Maddubs:
    return target.dotProduct == DotProduct::X86Maddubs ||
           target.dotProduct == DotProduct::X86Vnni;
  case TernaryKernel::Vpdpbusd:
    return target.dotProduct == DotProduct::X86Vnni;
  case TernaryKernel::Sdot:
    return target.dotProduct == DotProduct::AArch64Sdot;
  case TernaryKernel::Smlad:
    return target.dotProduct == DotProduct::ArmSmlad;
  case TernaryKernel::Vmladav:
    return target.dotProduct == DotProduct::MveVmlav;
  case TernaryKernel::Lut:
    // In-register tables on CPUs with a byte shuffle; tables in SRAM on an
    // MCU (scalar loads, any M-profile core).
    return target.tableLookup == TableLookup::X86Pshufb ||
           target.tableLookup == TableLookup::AArch64Tbl ||
           target.isMicrocontroller;
  }
  return false;
}

bool sieve::ternaryKernelReadsT5(const TargetInfo &target,
                                 TernaryKernel kernel) {
  return kernel == TernaryKernel::Lut && target.isMicrocontroller;
}

TernaryKernel sieve::chooseTernaryKernel(const TargetInfo &target,
                                         bool floatInput, int64_t n) {
  if (floatInput)
    return TernaryKernel::Portable;
  // Cortex-M4/M7, measured under QEMU (docs/ternary.md): smlad costs 1.41-
  // 1.45 instructions per weight whatever the shape; the table kernel 0.70
  // per weight for the lookups plus about 97 / N for building the tables
  // (1.07 at N = 256, 0.85 at N = 640), which all N channels share. On the
  // M55, vmladav (0.15) beats the tables (1.07); on x86 and AArch64 the
  // multiply-add kernels beat the shuffle tables (bench/ternary_bench.py).
  if (target.dotProduct == DotProduct::ArmSmlad && 0.70 + 97.0 / n < 1.43)
    return TernaryKernel::Lut;
  // vpdpbusd before maddubs: on AVX-512 VNNI it needs no shifts and no
  // int16 widening (4096x4096 GEMV here: 97 against 62-65 G weights/s).
  // sdot on AArch64 for any number of tokens: with M > 1 its lowering takes
  // tiles of 4 (then 2) tokens that share each masked weight vector (0.043
  // llvm-mca cycles per weight and token on the Cortex-A76 against 0.063-
  // 0.069 for one token; docs/ternary.md).
  for (TernaryKernel kernel :
       {TernaryKernel::Vpdpbusd, TernaryKernel::Maddubs, TernaryKernel::Sdot,
        TernaryKernel::Smlad, TernaryKernel::Vmladav})
    if (targetHasTernaryKernel(target, kernel) &&
        isTernaryKernelImplemented(kernel))
      return kernel;
  return TernaryKernel::Portable;
}

namespace {

struct SelectTernaryKernelPass final
    : sieve::tern::impl::SelectTernaryKernelBase<SelectTernaryKernelPass> {
  using Base::Base;

  void runOnOperation() override {
    const TargetInfo *info = lookupTarget(target);
    if (!info) {
      getOperation().emitError() << "unknown target '" << target << "'";
      return signalPassFailure();
    }
    if (packing != "auto" && packing != "i2" && packing != "t5") {
      getOperation().emitError()
          << "unknown ternary packing '" << packing << "' (auto, i2 or t5)";
      return signalPassFailure();
    }
    if (kernel != "auto" && !parseTernaryKernel(kernel)) {
      getOperation().emitError()
          << "unknown ternary kernel '" << kernel << "' (auto, "
          << getTernaryKernelNames(" or ") << ")";
      return signalPassFailure();
    }
    getOperation().walk([&](func::FuncOp func) {
      SmallVector<Attribute> layers;
      func.walk([&](tern::MatmulOp op) {
        if (failed(select(op, *info, layers)))
          signalPassFailure();
      });
      if (!layers.empty())
        func->setAttr("sieve.ternary",
                      ArrayAttr::get(func.getContext(), layers));
    });
  }

  LogicalResult select(tern::MatmulOp op, const TargetInfo &info,
                       SmallVectorImpl<Attribute> &layers) {
    bool floatInput = isa<FloatType>(op.getInputType().getElementType());
    std::optional<TernaryKernel> chosen;
    StringRef forced = op.getKernel() ? *op.getKernel() : StringRef(kernel);
    if (forced != "auto") {
      chosen = parseTernaryKernel(forced);
      if (!chosen)
        return op.emitOpError("unknown kernel '") << forced << "'";
      if (!targetHasTernaryKernel(info, *chosen))
        return op.emitOpError("kernel '")
               << forced << "' needs " << getTernaryKernelNeed(*chosen)
               << ", which target '" << info.name << "' lacks";
      if (!isTernaryKernelImplemented(*chosen))
        return op.emitOpError("kernel '")
               << forced << "' is not implemented yet (docs/ternary.md)";
      if (floatInput && *chosen != TernaryKernel::Portable)
        return op.emitOpError("kernel '")
               << forced << "' needs int8 activations; f32 ones take "
               << "'portable'";
    } else {
      chosen = chooseTernaryKernel(info, floatInput, op.getWeightShape().first);
    }

    bool readsT5 = ternaryKernelReadsT5(info, *chosen);
    tern::Layout layout = readsT5 ? tern::Layout::T5 : tern::Layout::I2;
    if (packing == "i2" && readsT5)
      return op.emitOpError("kernel 'lut' reads packing t5 on target '")
             << info.name << "', not i2";
    if (packing == "t5") {
      if (*chosen != TernaryKernel::Portable && !readsT5)
        return op.emitOpError("packing t5 is read by the 'portable' kernel "
                              "only, not by '")
               << getTernaryKernelName(*chosen) << "'";
      layout = tern::Layout::T5;
    }
    // With packing auto, weights given packed keep their layout when the
    // kernel reads it, and are repacked for the kernel otherwise.
    if (auto packed = dyn_cast<tern::PackedAttr>(op.getWeights()))
      if (packing == "auto" && *chosen == TernaryKernel::Portable)
        layout = packed.getLayout();
    if (layout == tern::Layout::T5 && *chosen != TernaryKernel::Portable &&
        !readsT5)
      return op.emitOpError("packing t5 is read by the 'portable' kernel "
                            "only, not by '")
             << getTernaryKernelName(*chosen) << "'";

    auto [n, k] = op.getWeightShape();
    auto packed = dyn_cast<tern::PackedAttr>(op.getWeights());
    if (!packed || packed.getLayout() != layout)
      packed = tern::PackedAttr::get(op.getContext(), layout, n, k,
                                     op.getTernaryWeights());
    Builder b(op.getContext());
    op.setWeightsAttr(packed);
    op.setKernelAttr(b.getStringAttr(getTernaryKernelName(*chosen)));

    // file:line:col, or the exporter's name.
    std::string where;
    if (auto file = dyn_cast<FileLineColLoc>(op.getLoc()))
      where = llvm::formatv("{0}:{1}:{2}", file.getFilename().getValue(),
                            file.getLine(), file.getColumn())
                  .str();
    else if (auto name = dyn_cast<NameLoc>(op.getLoc()))
      where = name.getName().str();
    else {
      llvm::raw_string_ostream os(where);
      op.getLoc().print(os);
    }
    SmallVector<NamedAttribute> layer = {
        b.getNamedAttr("location", b.getStringAttr(where)),
        b.getNamedAttr("m",
                       b.getI64IntegerAttr(op.getInputType().getDimSize(0))),
        b.getNamedAttr("n", b.getI64IntegerAttr(n)),
        b.getNamedAttr("k", b.getI64IntegerAttr(k)),
        b.getNamedAttr("kernel",
                       b.getStringAttr(getTernaryKernelName(*chosen))),
        b.getNamedAttr("packing",
                       b.getStringAttr(tern::stringifyLayout(layout))),
        b.getNamedAttr("packed_bytes",
                       b.getI64IntegerAttr(ternaryKernelPackedBytes(
                           info, *chosen, n, k,
                           tern::PackedAttr::getRowBytes(layout, k)))),
        b.getNamedAttr("activations",
                       b.getStringAttr(floatInput ? "f32" : "i8"))};
    if (auto error = op->getAttrOfType<FloatAttr>("sieve.quantization_error"))
      layer.push_back(b.getNamedAttr("quantization_error", error));
    layers.push_back(b.getDictionaryAttr(layer));
    return success();
  }
};

} // namespace
