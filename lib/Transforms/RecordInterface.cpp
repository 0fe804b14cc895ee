//===- RecordInterface.cpp - Record the entry's inputs and outputs --------===//
//
// Part of Sieve. The C header needs facts that only the exporter's ops carry
// (zero points sit on the tosa.rescale next to an input), so they are read
// here, before lowering erases them.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

namespace sieve {
#define GEN_PASS_DEF_RECORDINTERFACE
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

std::optional<int64_t> getConstantScalar(Value value) {
  DenseElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<IntegerType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APInt>().getSExtValue();
}

/// Values that carry the same data as `value` through reshapes.
SmallVector<Value> reshapeChainUsers(Value value) {
  SmallVector<Value> chain = {value};
  for (size_t i = 0; i < chain.size(); ++i)
    for (Operation *user : chain[i].getUsers())
      if (auto reshape = dyn_cast<tosa::ReshapeOp>(user))
        if (reshape.getInput1() == chain[i])
          chain.push_back(reshape.getResult());
  return chain;
}

/// The zero point with which the exporter's ops read `input`, if they agree.
std::optional<int64_t> inputZeroPoint(Value input) {
  std::optional<int64_t> zeroPoint;
  bool conflict = false;
  auto note = [&](Value zpValue) {
    std::optional<int64_t> zp = getConstantScalar(zpValue);
    if (!zp || (zeroPoint && *zeroPoint != *zp))
      conflict = true;
    zeroPoint = zp;
  };
  for (Value value : reshapeChainUsers(input))
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (isa<tosa::ReshapeOp>(user))
        continue;
      if (auto op = dyn_cast<tosa::RescaleOp>(user))
        note(op.getInputZp());
      else if (auto op = dyn_cast<tosa::Conv2DOp>(user);
               op && use.getOperandNumber() == 0)
        note(op.getInputZp());
      else if (auto op = dyn_cast<tosa::DepthwiseConv2DOp>(user);
               op && use.getOperandNumber() == 0)
        note(op.getInputZp());
      else if (auto op = dyn_cast<tosa::AvgPool2dOp>(user))
        note(op.getInputZp());
      else if (auto op = dyn_cast<tosa::MatMulOp>(user))
        note(use.getOperandNumber() == 0 ? op.getAZp() : op.getBZp());
      else
        conflict = true;
    }
  return conflict ? std::nullopt : zeroPoint;
}

/// The zero point of the tosa.rescale that produces `output`, through
/// reshapes.
std::optional<int64_t> outputZeroPoint(Value output) {
  while (auto reshape = output.getDefiningOp<tosa::ReshapeOp>())
    output = reshape.getInput1();
  if (auto rescale = output.getDefiningOp<tosa::RescaleOp>())
    return getConstantScalar(rescale.getOutputZp());
  return std::nullopt;
}

/// A readable name from exporter attributes, else `fallback`.
std::string exporterName(DictionaryAttr attrs, StringRef fallback) {
  if (attrs) {
    if (auto name = attrs.getAs<StringAttr>(attrs::kName))
      return name.str();
    if (auto path = attrs.getAs<ArrayAttr>("tf_saved_model.index_path"))
      if (path.size() == 1)
        if (auto name = dyn_cast<StringAttr>(path[0]))
          return name.str();
    if (auto id = attrs.getAs<StringAttr>("ml_program.identifier"))
      return id.str();
  }
  return fallback.str();
}

DictionaryAttr describe(MLIRContext *ctx, DictionaryAttr attrs,
                        StringRef fallbackName,
                        std::optional<int64_t> zeroPoint) {
  Builder b(ctx);
  SmallVector<NamedAttribute> entries;
  entries.push_back(b.getNamedAttr(
      "name", b.getStringAttr(exporterName(attrs, fallbackName))));
  // An importer that knows the zero point (TFLite's) says so; otherwise it
  // is inferred from the ops next to the tensor.
  if (attrs)
    if (auto zp = attrs.getAs<IntegerAttr>(attrs::kZeroPoint))
      zeroPoint = zp.getInt();
  if (zeroPoint)
    entries.push_back(
        b.getNamedAttr("zero_point", b.getI64IntegerAttr(*zeroPoint)));
  if (attrs)
    if (Attribute scale = attrs.get(attrs::kScale))
      entries.push_back(b.getNamedAttr("scale", scale));
  return b.getDictionaryAttr(entries);
}

struct RecordInterfacePass final
    : sieve::impl::RecordInterfaceBase<RecordInterfacePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> found = findEntryFunction(module, entry);
    if (failed(found))
      return signalPassFailure();
    func::FuncOp func = *found;
    MLIRContext *ctx = &getContext();

    for (auto other : module.getOps<func::FuncOp>())
      if (other != func && !other.isExternal())
        other.setPrivate();
    func->setAttr(attrs::kEntry, UnitAttr::get(ctx));

    SmallVector<Attribute> inputs, outputs;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      inputs.push_back(describe(ctx, func.getArgAttrDict(i),
                                ("in" + Twine(i)).str(),
                                inputZeroPoint(func.getArgument(i))));
      // Inputs are only read (docs/abi.md): they may sit in flash or in a
      // caller's const buffer. Bufferization then copies an input that the
      // model updates in place (destination-passing style) instead of
      // writing into it.
      func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                      BoolAttr::get(ctx, false));
    }
    auto returnOp = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      outputs.push_back(describe(ctx, func.getResultAttrDict(i),
                                 ("out" + Twine(i)).str(),
                                 outputZeroPoint(returnOp.getOperand(i))));
    func->setAttr(attrs::kInputs, ArrayAttr::get(ctx, inputs));
    func->setAttr(attrs::kOutputs, ArrayAttr::get(ctx, outputs));
  }
};

} // namespace
