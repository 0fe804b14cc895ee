//===- VerifyInput.cpp - Reject what Sieve cannot compile -----------------===//
//
// Part of Sieve. Failing early, at the op, is kinder than a conversion
// failure deep in the pipeline or an LLVM crash.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/BufferLiveness.h"
#include "sieve/Dialect/Attn/IR/AttnOps.h"
#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/StringSet.h"

namespace sieve {
#define GEN_PASS_DEF_VERIFYINPUT
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// Dialects whose ops the compile pipeline lowers.
bool isAcceptedDialect(StringRef ns) {
  static const llvm::StringSet<> accepted = {
      "builtin", "func",       "tosa",    "linalg",        "tensor",
      "arith",   "math",       "scf",     "bufferization", "affine",
      "llvm",    "ml_program", "complex", "index"};
  return accepted.contains(ns);
}

/// TOSA ops that have no lowering to linalg.
bool isUnsupportedTosaOp(Operation *op) {
  return isa<tosa::CustomOp, tosa::FFT2dOp, tosa::RFFT2dOp, tosa::VariableOp,
             tosa::VariableReadOp, tosa::VariableWriteOp>(op);
}

bool isSupportedElementType(Type type) {
  if (auto intType = dyn_cast<IntegerType>(type))
    return llvm::is_contained({1u, 8u, 16u, 32u, 48u, 64u}, intType.getWidth());
  return isa<IndexType, Float16Type, BFloat16Type, Float32Type, Float64Type>(
      type);
}

/// tensor.pad's verifier lets a static padding of ShapedType::kDynamic (the
/// marker of a dynamic one) through without its value, and folding then
/// crashes; negative paddings make no sense in a model either.
bool isValidPadding(tensor::PadOp pad) {
  return llvm::all_of(
      llvm::concat<const int64_t>(pad.getStaticLow(), pad.getStaticHigh()),
      [](int64_t size) { return size >= 0; });
}

/// What MLIR 22's verifiers let through and its passes then crash on (found
/// by the fuzzer): a reason, or "".
std::string checkUnverifiedShapes(Operation *op) {
  // tosa.rescale is elementwise: same shape in and out.
  if (auto rescale = dyn_cast<tosa::RescaleOp>(op)) {
    auto in = dyn_cast<ShapedType>(rescale.getInput().getType());
    auto out = dyn_cast<ShapedType>(rescale.getOutput().getType());
    if (in && out && in.hasRank() && out.hasRank() &&
        in.getShape() != out.getShape())
      return "changes the shape; it is elementwise";
  }
  // Reassociations must group the dimensions of the expanded type in order.
  auto checkGroups = [](ArrayRef<ReassociationIndices> groups,
                        int64_t rank) -> std::string {
    int64_t next = 0;
    for (const ReassociationIndices &group : groups)
      for (int64_t dim : group)
        if (dim != next++)
          return "has a reassociation that does not group consecutive "
                 "dimensions in order";
    if (next != rank)
      return "has a reassociation that does not cover every dimension";
    return "";
  };
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op))
    return checkGroups(collapse.getReassociationIndices(),
                       collapse.getSrcType().getRank());
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op))
    return checkGroups(expand.getReassociationIndices(),
                       expand.getResultType().getRank());
  return "";
}

/// Element types that a C caller can pass: the interface's types of
/// docs/abi.md. (`index` has no fixed width; LLVM stores i48 in eight bytes
/// whose top two are undefined.)
bool isInterfaceElementType(Type type) {
  if (auto intType = dyn_cast<IntegerType>(type))
    return llvm::is_contained({1u, 8u, 16u, 32u, 64u}, intType.getWidth());
  return isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(type);
}

struct VerifyInputPass final : sieve::impl::VerifyInputBase<VerifyInputPass> {
  using Base::Base;

  /// Returns a reason why `type` cannot be compiled, or "".
  std::string checkType(Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped)
      return "";
    std::string text;
    llvm::raw_string_ostream os(text);
    if (!shaped.hasRank()) {
      os << "has an unranked type (" << type
         << "); Sieve compiles static shapes only";
    } else if (!shaped.hasStaticShape()) {
      os << "has a dynamic shape (" << type
         << "); Sieve compiles static shapes only";
    } else if (!isSupportedElementType(shaped.getElementType())) {
      os << "has element type " << shaped.getElementType()
         << ", which Sieve does not compile (supported: i1, i8, i16, i32, "
            "i48, i64, f16, bf16, f32, f64; quantised models use TOSA 1.0's "
            "i8 with tosa.rescale)";
    } else if (llvm::is_contained(shaped.getShape(), 0)) {
      os << "has a tensor without elements (" << type
         << "); Sieve compiles tensors of at least one element";
    } else {
      std::optional<uint64_t> bytes = getByteSize(shaped, indexBitwidth);
      if (!bytes || *bytes > maxObjectBytes) {
        os << "has a tensor of ";
        if (bytes)
          os << *bytes << " bytes";
        else
          os << "2^64 bytes or more";
        os << " (" << type << "), more than the "
           << static_cast<uint64_t>(maxObjectBytes)
           << " bytes one object can take on the target";
      }
    }
    return text;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> entryFunc = findEntryFunction(module, entry);
    if (failed(entryFunc))
      return signalPassFailure();

    for (Type type : entryFunc->getFunctionType().getInputs())
      if (failed(checkInterfaceType(*entryFunc, "input", type)))
        return signalPassFailure();
    for (Type type : entryFunc->getFunctionType().getResults())
      if (failed(checkInterfaceType(*entryFunc, "output", type)))
        return signalPassFailure();

    WalkResult result = module.walk([&](Operation *op) {
      StringRef ns = op->getName().getDialectNamespace();
      // attn.attention and attn.sparse_attention have a lowering
      // (sieve-lower-attention), tern ops too (the 'ternary' stage,
      // docs/ternary.md).
      if (ns == "tern")
        return WalkResult::advance();
      if (tokenSparse && isa<attn::TokenScoresOp, attn::SelectTokensOp,
                             attn::GatherTokensOp, attn::KeptAttentionOp,
                             attn::ScatterTokensOp, attn::CacheCompactOp,
                             attn::CacheAppendOp, attn::CacheAttentionOp>(op))
        return WalkResult::advance();
      if ((ns == "attn" &&
           !isa<attn::AttentionOp, attn::SparseAttentionOp>(op)) ||
          ns == "patch") {
        op->emitError() << "'" << op->getName()
                        << "' cannot be compiled to code yet: no lowering of "
                           "the '"
                        << ns << "' dialect is part of the pipeline";
        return WalkResult::interrupt();
      }
      if (!isAcceptedDialect(ns) &&
          !isa<cf::AssertOp, attn::AttentionOp, attn::SparseAttentionOp>(op)) {
        op->emitError() << "'" << op->getName()
                        << "' is not supported: Sieve compiles TOSA and "
                           "linalg-on-tensors models (with arith, math, "
                           "tensor, scf and func)";
        return WalkResult::interrupt();
      }
      if (auto pad = dyn_cast<tensor::PadOp>(op); pad && !isValidPadding(pad)) {
        op->emitError() << "'" << op->getName()
                        << "' has a padding that is not a size: every static "
                           "low and high padding must be at least 0";
        return WalkResult::interrupt();
      }
      if (std::string reason = checkUnverifiedShapes(op); !reason.empty()) {
        op->emitError() << "'" << op->getName() << "' " << reason;
        return WalkResult::interrupt();
      }
      if (isUnsupportedTosaOp(op)) {
        op->emitError() << "'" << op->getName()
                        << "' is not supported: it has no lowering to linalg";
        return WalkResult::interrupt();
      }
      for (TypeRange types :
           {TypeRange(op->getOperandTypes()), TypeRange(op->getResultTypes())})
        for (Type type : types) {
          std::string reason = checkType(type);
          if (!reason.empty()) {
            op->emitError() << "'" << op->getName() << "' " << reason;
            return WalkResult::interrupt();
          }
        }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  /// An input or output of the entry point must be a statically shaped
  /// tensor of an element type that C can pass.
  LogicalResult checkInterfaceType(func::FuncOp func, StringRef what,
                                   Type type) {
    std::string reason = checkType(type);
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (reason.empty() && !tensor)
      reason = "is not a ranked tensor";
    if (reason.empty() && !isInterfaceElementType(tensor.getElementType()))
      reason = "has an element type that the C interface cannot pass "
               "(inputs and outputs may be i1, i8, i16, i32, i64, f16, bf16, "
               "f32 or f64)";
    if (reason.empty())
      return success();
    return func.emitError() << "entry function '" << func.getName() << "': an "
                            << what << " of type " << type << " " << reason;
  }
};

} // namespace
