//===- QuantizerAttrTest.cpp - QuantizerAttrInterface
//-----------------------===//

#include "FQT/FQTAttrs.h"
#include "FQT/FQTDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace fqt;

namespace {

class QuantizerAttrTest : public ::testing::Test {
protected:
  QuantizerAttrTest() { context.loadDialect<FQTDialect>(); }

  QuantizerAttrInterface parse(StringRef text) {
    return dyn_cast_or_null<QuantizerAttrInterface>(
        parseAttribute(text, &context));
  }

  MLIRContext context;
};

TEST_F(QuantizerAttrTest, GradientQuantizersDefaultToStochastic) {
  for (StringRef text :
       {"#fqt.ptq<bits = 4>", "#fqt.psq<bits = 4>", "#fqt.percol<bits = 4>",
        "#fqt.bhq<bits = 4>", "#fqt.lbt<bits = 4>"}) {
    QuantizerAttrInterface q = parse(text);
    ASSERT_TRUE(q) << text.str();
    EXPECT_EQ(q.getRounding(), Rounding::stochastic) << text.str();
    EXPECT_EQ(q.getBits(), 4u);
  }
}

TEST_F(QuantizerAttrTest, ForwardQuantizersDefaultToNearest) {
  for (StringRef text : {"#fqt.act<bits = 8>", "#fqt.weight<bits = 8>"}) {
    QuantizerAttrInterface q = parse(text);
    ASSERT_TRUE(q) << text.str();
    EXPECT_EQ(q.getRounding(), Rounding::nearest);
    EXPECT_EQ(q.getGranularity(), Granularity::tensor);
  }
}

TEST_F(QuantizerAttrTest, GranularityAndSymmetry) {
  EXPECT_EQ(parse("#fqt.psq<bits = 5>").getGranularity(), Granularity::row);
  EXPECT_EQ(parse("#fqt.bhq<bits = 5>").getGranularity(), Granularity::row);
  EXPECT_EQ(parse("#fqt.percol<bits = 8>").getGranularity(),
            Granularity::column);
  EXPECT_TRUE(parse("#fqt.lbt<bits = 4>").isSymmetric());
  EXPECT_FALSE(parse("#fqt.ptq<bits = 4>").isSymmetric());
  EXPECT_TRUE(parse("#fqt.none").isNone());
  EXPECT_EQ(parse("#fqt.bhq<bits = 5>").getMinRows(), 3);
  EXPECT_EQ(parse("#fqt.psq<bits = 5>").getMinRows(), 1);
}

TEST_F(QuantizerAttrTest, MaxCode) {
  // Unsigned codes use 2^b - 1 bins; LBT's symmetric codes +-(2^(b-1) - 1).
  EXPECT_EQ(parse("#fqt.ptq<bits = 4>").getMaxCode(), 15);
  EXPECT_EQ(parse("#fqt.psq<bits = 8>").getMaxCode(), 255);
  EXPECT_EQ(parse("#fqt.lbt<bits = 4>").getMaxCode(), 7);
  EXPECT_EQ(parse("#fqt.lbt<bits = 2>").getMaxCode(), 1);
}

TEST_F(QuantizerAttrTest, LBTHyperParameters) {
  auto lbt = dyn_cast<LBTAttr>(parse("#fqt.lbt<bits = 4>"));
  ASSERT_TRUE(lbt);
  EXPECT_DOUBLE_EQ(lbt.getAlpha().convertToDouble(), 1.0e-3);
  EXPECT_DOUBLE_EQ(lbt.getGammaStep().convertToDouble(), 1.0e-3);
  EXPECT_DOUBLE_EQ(lbt.getGammaMin().convertToDouble(), 1.0e-3);
  auto custom = dyn_cast<LBTAttr>(
      parse("#fqt.lbt<bits = 3, alpha = 2.5e-3, gamma_min = 0.01>"));
  ASSERT_TRUE(custom);
  EXPECT_DOUBLE_EQ(custom.getAlpha().convertToDouble(), 2.5e-3);
  EXPECT_DOUBLE_EQ(custom.getGammaMin().convertToDouble(), 0.01);
}

TEST_F(QuantizerAttrTest, ScaleShapeFollowsGranularity) {
  SmallVector<int64_t> shape = {128, 16, 7, 7};
  auto perTensor = getScaleShape(parse("#fqt.ptq<bits = 4>"), shape);
  ASSERT_TRUE(succeeded(perTensor));
  EXPECT_TRUE(perTensor->empty());
  auto perRow = getScaleShape(parse("#fqt.psq<bits = 4>"), shape);
  ASSERT_TRUE(succeeded(perRow));
  EXPECT_EQ(*perRow, SmallVector<int64_t>({128}));
  auto perColumn = getScaleShape(parse("#fqt.percol<bits = 8>"), shape);
  ASSERT_TRUE(succeeded(perColumn));
  EXPECT_EQ(*perColumn, SmallVector<int64_t>({16, 7, 7}));
  EXPECT_TRUE(failed(getScaleShape(parse("#fqt.percol<bits = 8>"), {128})));
  EXPECT_TRUE(failed(getScaleShape(parse("#fqt.none"), shape)));
}

TEST_F(QuantizerAttrTest, BlockScalesCoverTheAxisInBlocks) {
  auto blk = parse("#fqt.blk<bits = 4, size = 32, axis = 1>");
  ASSERT_TRUE(blk);
  EXPECT_EQ(blk.getGranularity(), Granularity::block);
  EXPECT_TRUE(blk.isSymmetric());
  EXPECT_TRUE(blk.snapsZero());
  EXPECT_EQ(blk.getBlockSize(), 32);
  EXPECT_EQ(blk.getBlockAxis(), 1);
  EXPECT_EQ(blk.getMaxCode(), 7);
  // 80 = 32 + 32 + 16: a shorter last block.
  auto columns = getScaleShape(blk, {8, 80});
  ASSERT_TRUE(succeeded(columns));
  EXPECT_EQ(*columns, SmallVector<int64_t>({8, 3}));
  auto rows =
      getScaleShape(parse("#fqt.blk<bits = 8, size = 16, axis = 0>"), {64, 10});
  ASSERT_TRUE(succeeded(rows));
  EXPECT_EQ(*rows, SmallVector<int64_t>({4, 10}));
  // The axis must be a dimension of the tensor.
  EXPECT_TRUE(failed(getScaleShape(blk, {80})));
  auto rht = parse("#fqt.rht<bits = 4, size = 16, axis = 1, signs = 3>");
  ASSERT_TRUE(rht);
  EXPECT_EQ(rht.getGranularity(), Granularity::block);
  EXPECT_EQ(rht.getRounding(), Rounding::stochastic);
  EXPECT_EQ(*getScaleShape(rht, {8, 64}), SmallVector<int64_t>({8, 4}));
  // Other quantizers have no blocks.
  EXPECT_EQ(parse("#fqt.psq<bits = 4>").getBlockSize(), 0);
  EXPECT_EQ(parse("#fqt.psq<bits = 4>").getBlockAxis(), -1);
}

TEST_F(QuantizerAttrTest, BlockSpecsBuildBlockAttributes) {
  auto emit = [&] { return mlir::emitError(UnknownLoc::get(&context)); };
  auto blk = getQuantizerAttr(emit, &context, "blk", 4, std::nullopt, 16, 0);
  EXPECT_EQ(llvm::cast<Attribute>(blk),
            parse("#fqt.blk<bits = 4, size = 16, axis = 0>"));
  auto rht = getQuantizerAttr(emit, &context, "rht", 4, std::nullopt, 32, 1,
                              /*signs=*/5);
  EXPECT_EQ(llvm::cast<Attribute>(rht),
            parse("#fqt.rht<bits = 4, size = 32, axis = 1, signs = 5>"));
  EXPECT_TRUE(isBlockSpecKind("rht"));
  EXPECT_FALSE(isBlockSpecKind("psq"));
}

TEST_F(QuantizerAttrTest, OutOfRangeBitsAreRejected) {
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_FALSE(parse("#fqt.ptq<bits = 9>"));
  EXPECT_NE(message.find("bits must be in [1, 8], got 9"), std::string::npos)
      << message;
  EXPECT_FALSE(parse("#fqt.lbt<bits = 1>"));
  EXPECT_NE(message.find("bits must be in [2, 8], got 1"), std::string::npos)
      << message;
}

} // namespace
