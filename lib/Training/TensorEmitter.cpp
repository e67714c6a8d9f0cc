//===- TensorEmitter.cpp - linalg on tensors for gradient rules -----------===//

#include "TensorEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace fqt::training;

Value TensorEmitter::scalar(Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value TensorEmitter::splat(ArrayRef<int64_t> shape, Type elementType,
                           double value) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, elementType);
  return linalg::FillOp::create(b, loc, scalar(elementType, value), empty)
      .getResult(0);
}

/// The indexing map reading `inputShape` broadcast ONNX-style to a
/// `rank`-dimensional iteration space of sizes `shape`.
static AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> inputShape,
                              ArrayRef<int64_t> shape) {
  int64_t rank = shape.size();
  int64_t offset = rank - inputShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(inputShape)) {
    if (size == 1 && shape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value TensorEmitter::map(ArrayRef<int64_t> shape, Type resultElement,
                         ValueRange inputs, ScalarBody body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMap(ctx, shapeOf(input), shape));
  maps.push_back(b.getMultiDimIdentityMap(shape.size()));
  Value init = tensor::EmptyOp::create(b, loc, shape, resultElement);
  SmallVector<utils::IteratorType> iterators(shape.size(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args.drop_back()));
      });
  return generic.getResult(0);
}

Value TensorEmitter::map(ValueRange inputs, ScalarBody body) {
  return map(shapeOf(inputs.front()), elementOf(inputs.front()), inputs, body);
}

/// init (zeros of `outShape`) += x, read through `inMap` and written
/// through `outMap` over an iteration space with `iterators`: the one sum
/// reduction that sumToShape and reduceSum differ in maps.
static Value sumReduce(TensorEmitter &e, Value x, AffineMap inMap,
                       AffineMap outMap, ArrayRef<int64_t> outShape,
                       ArrayRef<utils::IteratorType> iterators) {
  OpBuilder &b = e.builder();
  Location loc = e.getLoc();
  Value init = e.splat(outShape, TensorEmitter::elementOf(x), 0.0);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
      SmallVector<AffineMap>{inMap, outMap}, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(
            nb, nloc,
            arith::AddFOp::create(nb, nloc, args[0], args[1]).getResult());
      });
  return generic.getResult(0);
}

Value TensorEmitter::sumToShape(Value x, ArrayRef<int64_t> shape) {
  ArrayRef<int64_t> xShape = shapeOf(x);
  if (xShape == shape)
    return x;
  MLIRContext *ctx = b.getContext();
  int64_t rank = xShape.size();
  int64_t offset = rank - shape.size();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  SmallVector<AffineExpr> outExprs;
  for (auto [i, size] : llvm::enumerate(shape)) {
    int64_t dim = offset + i;
    if (size == xShape[dim]) {
      iterators[dim] = utils::IteratorType::parallel;
      outExprs.push_back(getAffineDimExpr(dim, ctx));
    } else {
      outExprs.push_back(getAffineConstantExpr(0, ctx));
    }
  }
  return sumReduce(*this, x, b.getMultiDimIdentityMap(rank),
                   AffineMap::get(rank, 0, outExprs, ctx), shape, iterators);
}

Value TensorEmitter::reduceSum(Value x, ArrayRef<int64_t> dims) {
  ArrayRef<int64_t> xShape = shapeOf(x);
  MLIRContext *ctx = b.getContext();
  int64_t rank = xShape.size();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  SmallVector<AffineExpr> outExprs;
  SmallVector<int64_t> outShape;
  for (int64_t d = 0; d < rank; ++d) {
    if (llvm::is_contained(dims, d)) {
      iterators[d] = utils::IteratorType::reduction;
      continue;
    }
    outExprs.push_back(getAffineDimExpr(d, ctx));
    outShape.push_back(xShape[d]);
  }
  return sumReduce(*this, x, b.getMultiDimIdentityMap(rank),
                   AffineMap::get(rank, 0, outExprs, ctx), outShape, iterators);
}

Value TensorEmitter::matmul(Value lhs, Value rhs, bool transposeLhs,
                            bool transposeRhs) {
  ArrayRef<int64_t> lhsShape = shapeOf(lhs), rhsShape = shapeOf(rhs);
  int64_t m = transposeLhs ? lhsShape[1] : lhsShape[0];
  int64_t n = transposeRhs ? rhsShape[0] : rhsShape[1];
  Value init = splat({m, n}, b.getF32Type(), 0.0);
  MLIRContext *ctx = b.getContext();
  AffineExpr dm, dn, dk;
  bindDims(ctx, dm, dn, dk);
  auto map2 = [&](AffineExpr x, AffineExpr y) {
    return AffineMapAttr::get(AffineMap::get(3, 0, {x, y}, ctx));
  };
  SmallVector<Attribute> maps = {transposeLhs ? map2(dk, dm) : map2(dm, dk),
                                 transposeRhs ? map2(dn, dk) : map2(dk, dn),
                                 map2(dm, dn)};
  auto op = linalg::MatmulOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs}, ValueRange{init},
      {b.getNamedAttr("indexing_maps", b.getArrayAttr(maps))});
  return op.getResult(0);
}

/// `x` (2-D) with dimension `dim` split into [groups, size / groups].
static Value splitGroups(OpBuilder &b, Location loc, Value x, int64_t dim,
                         int64_t groups) {
  ArrayRef<int64_t> shape = TensorEmitter::shapeOf(x);
  SmallVector<int64_t> split;
  SmallVector<ReassociationIndices> reassoc;
  if (dim == 0) {
    split = {groups, shape[0] / groups, shape[1]};
    reassoc = {{0, 1}, {2}};
  } else {
    split = {shape[0], groups, shape[1] / groups};
    reassoc = {{0}, {1, 2}};
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(split, TensorEmitter::elementOf(x)), x,
      reassoc);
}

Value TensorEmitter::groupedMatmul(Value lhs, Value rhs, bool transposeLhs,
                                   bool transposeRhs, int64_t groups,
                                   int64_t lhsGroupDim, int64_t rhsGroupDim,
                                   int64_t resultGroupDim) {
  ArrayRef<int64_t> lhsShape = shapeOf(lhs), rhsShape = shapeOf(rhs);
  // Sizes of one group's product.
  auto perGroup = [&](ArrayRef<int64_t> shape, int64_t dim, int64_t groupDim) {
    return dim == groupDim ? shape[dim] / groups : shape[dim];
  };
  int64_t m = perGroup(lhsShape, transposeLhs ? 1 : 0, lhsGroupDim);
  int64_t n = perGroup(rhsShape, transposeRhs ? 0 : 1, rhsGroupDim);
  MLIRContext *ctx = b.getContext();
  // Iteration (g, m, n, k).
  AffineExpr dg, dm, dn, dk;
  bindDims(ctx, dg, dm, dn, dk);
  // The 3-D map of a 2-D operand indexed (row, col), g before `groupDim`.
  auto map3 = [&](AffineExpr row, AffineExpr col, int64_t groupDim) {
    SmallVector<AffineExpr> exprs = groupDim == 0
                                        ? SmallVector<AffineExpr>{dg, row, col}
                                        : SmallVector<AffineExpr>{row, dg, col};
    return AffineMap::get(4, 0, exprs, ctx);
  };
  SmallVector<AffineMap> maps = {
      transposeLhs ? map3(dk, dm, lhsGroupDim) : map3(dm, dk, lhsGroupDim),
      transposeRhs ? map3(dn, dk, rhsGroupDim) : map3(dk, dn, rhsGroupDim),
      map3(dm, dn, resultGroupDim)};
  SmallVector<int64_t> resultShape = resultGroupDim == 0
                                         ? SmallVector<int64_t>{groups, m, n}
                                         : SmallVector<int64_t>{m, groups, n};
  Value init = splat(resultShape, b.getF32Type(), 0.0);
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()},
      ValueRange{splitGroups(b, loc, lhs, lhsGroupDim, groups),
                 splitGroups(b, loc, rhs, rhsGroupDim, groups)},
      ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
        linalg::YieldOp::create(
            nb, l, arith::AddFOp::create(nb, l, args[2], p).getResult());
      });
  SmallVector<int64_t> flat = resultGroupDim == 0
                                  ? SmallVector<int64_t>{groups * m, n}
                                  : SmallVector<int64_t>{m, groups * n};
  SmallVector<ReassociationIndices> reassoc =
      resultGroupDim == 0 ? SmallVector<ReassociationIndices>{{0, 1}, {2}}
                          : SmallVector<ReassociationIndices>{{0}, {1, 2}};
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(flat, b.getF32Type()), generic.getResult(0),
      reassoc);
}

Value TensorEmitter::transpose(Value x, ArrayRef<int64_t> perm) {
  ArrayRef<int64_t> xShape = shapeOf(x);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(xShape[p]);
  Value init = tensor::EmptyOp::create(b, loc, shape, elementOf(x));
  return linalg::TransposeOp::create(b, loc, x, init, perm).getResult()[0];
}

Value TensorEmitter::reshape(Value x, ArrayRef<int64_t> shape) {
  ArrayRef<int64_t> xShape = shapeOf(x);
  if (xShape == shape)
    return x;
  Type element = elementOf(x);
  // Collapse to 1-D, then expand: always a valid static reassociation.
  Value flat = x;
  if (xShape.size() != 1) {
    ReassociationIndices all;
    for (int64_t i = 0, e = xShape.size(); i < e; ++i)
      all.push_back(i);
    SmallVector<ReassociationIndices> reassoc;
    if (!all.empty())
      reassoc.push_back(all);
    int64_t count = 1;
    for (int64_t s : xShape)
      count *= s;
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({count}, element), x, reassoc);
  }
  if (shape.size() == 1)
    return flat;
  ReassociationIndices all;
  for (int64_t i = 0, e = shape.size(); i < e; ++i)
    all.push_back(i);
  SmallVector<ReassociationIndices> reassoc;
  if (!all.empty())
    reassoc.push_back(all);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, element), flat, reassoc);
}

Value TensorEmitter::pad(Value x, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                         double value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return x;
  ArrayRef<int64_t> xShape = shapeOf(x);
  SmallVector<int64_t> shape;
  for (auto [i, s] : llvm::enumerate(xShape))
    shape.push_back(s + low[i] + high[i]);
  Type element = elementOf(x);
  auto type = RankedTensorType::get(shape, element);
  SmallVector<OpFoldResult> lowOfr, highOfr;
  for (auto [l, h] : llvm::zip(low, high)) {
    lowOfr.push_back(b.getIndexAttr(l));
    highOfr.push_back(b.getIndexAttr(h));
  }
  return tensor::PadOp::create(b, loc, type, x, lowOfr, highOfr,
                               scalar(element, value));
}

Value TensorEmitter::gatherWindows(Value xPadded, ArrayRef<int64_t> kernel,
                                   ArrayRef<int64_t> outSize,
                                   ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> dilations) {
  ArrayRef<int64_t> xShape = shapeOf(xPadded);
  MLIRContext *ctx = b.getContext();
  // Iteration (n, oh, ow, c, kh, kw), the im2col layout.
  AffineExpr n, oh, ow, c, kh, kw;
  bindDims(ctx, n, oh, ow, c, kh, kw);
  AffineMap in = AffineMap::get(6, 0,
                                {n, c, oh * strides[0] + kh * dilations[0],
                                 ow * strides[1] + kw * dilations[1]},
                                ctx);
  SmallVector<int64_t> shape = {xShape[0], outSize[0], outSize[1],
                                xShape[1], kernel[0],  kernel[1]};
  Value init = tensor::EmptyOp::create(b, loc, shape, elementOf(xPadded));
  SmallVector<utils::IteratorType> iterators(6, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{xPadded}, ValueRange{init},
      SmallVector<AffineMap>{in, b.getMultiDimIdentityMap(6)}, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, args[0]);
      });
  return generic.getResult(0);
}

Value TensorEmitter::scatterWindows(Value cols, ArrayRef<int64_t> paddedSize,
                                    ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> dilations) {
  // cols is [N, OH, OW, C, KH, KW]: each window's values, to be added into
  // the input pixels the window covers.
  ArrayRef<int64_t> colShape = shapeOf(cols);
  int64_t n = colShape[0], oh = colShape[1], ow = colShape[2], c = colShape[3],
          kh = colShape[4], kw = colShape[5];
  Type element = elementOf(cols);
  MLIRContext *ctx = b.getContext();
  if (dilations[0] == 1 && dilations[1] == 1 && strides[0] == kh &&
      strides[1] == kw) {
    // The windows tile the input without overlap (max-pooling 2x2 with
    // stride 2, a 1x1 or a patchifying convolution): each input pixel is in
    // at most one window, so it reads its value directly instead of
    // spreading, padding and summing over KH x KW mostly-zero positions.
    AffineExpr dn, dc, dh, dw;
    bindDims(ctx, dn, dc, dh, dw);
    AffineMap in = AffineMap::get(4, 0,
                                  {dn, dh.floorDiv(kh), dw.floorDiv(kw), dc,
                                   dh % kh, dw % kw},
                                  ctx);
    SmallVector<int64_t> covered = {n, c, oh * kh, ow * kw};
    Value init = tensor::EmptyOp::create(b, loc, covered, element);
    auto gather = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, ValueRange{cols}, ValueRange{init},
        SmallVector<AffineMap>{in, b.getMultiDimIdentityMap(4)},
        SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
        [](OpBuilder &nb, Location l, ValueRange args) {
          linalg::YieldOp::create(nb, l, args[0]);
        });
    // Rows and columns past the last window get no gradient.
    return pad(gather.getResult(0), {0, 0, 0, 0},
               {0, 0, paddedSize[0] - oh * kh, paddedSize[1] - ow * kw}, 0.0);
  }
  // Overlapping windows: every window adds its values into the input
  // pixels it covers, a sum over an output indexed by (n, c, oh * s + kh *
  // d, ow * s + kw * d) with only n and c parallel (distinct windows of one
  // sample and channel meet at the same pixel). cols is read once, in the
  // order it is stored (n, oh, ow, c, kh, kw), and a sample's pixels (C x H
  // x W values) stay in the caches; the gather this replaces summed over a
  // copy of cols padded by the window on each side (twice the size of
  // cols, filled with zeros first). The windows are visited from the last
  // (oh, ow) to the first, so that each pixel adds its terms in the order
  // the gather did, kh then kw ascending: the same sums, bit for bit.
  AffineExpr dn, doh, dow, dc, dkh, dkw;
  bindDims(ctx, dn, doh, dow, dc, dkh, dkw);
  AffineExpr rowOf = (oh - 1) - doh, columnOf = (ow - 1) - dow;
  AffineMap in = AffineMap::get(6, 0, {dn, rowOf, columnOf, dc, dkh, dkw}, ctx);
  AffineMap out =
      AffineMap::get(6, 0,
                     {dn, dc, rowOf * strides[0] + dkh * dilations[0],
                      columnOf * strides[1] + dkw * dilations[1]},
                     ctx);
  // Reversed, (oh, ow) are no plain dimension of either map; as in linalg's
  // pooling ops, an operand that is only a shape (never read) gives their
  // sizes.
  Value windows =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{oh, ow}, element);
  AffineMap windowsMap = AffineMap::get(6, 0, {doh, dow}, ctx);
  Value init = splat({n, c, paddedSize[0], paddedSize[1]}, element, 0.0);
  SmallVector<utils::IteratorType> iterators = {
      utils::IteratorType::parallel,  utils::IteratorType::reduction,
      utils::IteratorType::reduction, utils::IteratorType::parallel,
      utils::IteratorType::reduction, utils::IteratorType::reduction};
  auto scatter = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{cols, windows},
      ValueRange{init}, SmallVector<AffineMap>{in, windowsMap, out}, iterators,
      [](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(
            nb, nloc,
            arith::AddFOp::create(nb, nloc, args[2], args[0]).getResult());
      });
  return scatter.getResult(0);
}

Value TensorEmitter::slice(Value x, ArrayRef<int64_t> offsets,
                           ArrayRef<int64_t> sizes) {
  if (llvm::all_of(offsets, [](int64_t v) { return v == 0; }) &&
      shapeOf(x) == sizes)
    return x;
  SmallVector<OpFoldResult> o, s, st;
  for (auto [offset, size] : llvm::zip(offsets, sizes)) {
    o.push_back(b.getIndexAttr(offset));
    s.push_back(b.getIndexAttr(size));
    st.push_back(b.getIndexAttr(1));
  }
  return tensor::ExtractSliceOp::create(b, loc, x, o, s, st);
}

Value TensorEmitter::batchMatmul(Value lhs, Value rhs, bool transposeLhs,
                                 bool transposeRhs, ArrayRef<int64_t> batch) {
  ArrayRef<int64_t> ls = shapeOf(lhs), rs = shapeOf(rhs);
  int64_t lr = ls.size(), rr = rs.size(), nb = batch.size();
  int64_t m = transposeLhs ? ls[lr - 1] : ls[lr - 2];
  int64_t n = transposeRhs ? rs[rr - 2] : rs[rr - 1];
  MLIRContext *ctx = b.getContext();
  // Iteration (batch..., m, n, k).
  AffineExpr dm = getAffineDimExpr(nb, ctx), dn = getAffineDimExpr(nb + 1, ctx),
             dk = getAffineDimExpr(nb + 2, ctx);
  auto operandMap = [&](ArrayRef<int64_t> shape, AffineExpr row,
                        AffineExpr col) {
    SmallVector<AffineExpr> exprs;
    int64_t own = shape.size() - 2, offset = nb - own;
    for (int64_t i = 0; i < own; ++i)
      exprs.push_back(shape[i] == 1 && batch[offset + i] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(offset + i, ctx));
    exprs.push_back(row);
    exprs.push_back(col);
    return AffineMap::get(nb + 3, 0, exprs, ctx);
  };
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < nb; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  outExprs.push_back(dm);
  outExprs.push_back(dn);
  SmallVector<AffineMap> maps = {
      transposeLhs ? operandMap(ls, dk, dm) : operandMap(ls, dm, dk),
      transposeRhs ? operandMap(rs, dn, dk) : operandMap(rs, dk, dn),
      AffineMap::get(nb + 3, 0, outExprs, ctx)};
  SmallVector<int64_t> outShape(batch);
  outShape.append({m, n});
  Type element = elementOf(lhs);
  Value init = splat(outShape, element, 0.0);
  SmallVector<utils::IteratorType> iterators(nb + 2,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs}, ValueRange{init},
      maps, iterators, [&](OpBuilder &nb2, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(nb2, l, args[0], args[1]);
        linalg::YieldOp::create(
            nb2, l, arith::AddFOp::create(nb2, l, args[2], p).getResult());
      });
  return generic.getResult(0);
}

Value TensorEmitter::insertIntoZeros(Value x, ArrayRef<int64_t> shape,
                                     ArrayRef<int64_t> offsets,
                                     ArrayRef<int64_t> strides) {
  Value zeros = splat(shape, elementOf(x), 0.0);
  SmallVector<OpFoldResult> o, s, st;
  for (auto [offset, size, stride] : llvm::zip(offsets, shapeOf(x), strides)) {
    o.push_back(b.getIndexAttr(offset));
    s.push_back(b.getIndexAttr(size));
    st.push_back(b.getIndexAttr(stride));
  }
  return tensor::InsertSliceOp::create(b, loc, x, zeros, o, s, st);
}
