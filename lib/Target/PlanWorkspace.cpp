//===- PlanWorkspace.cpp - A step's temporaries in one reused buffer ------===//
//
// A bufferized training step allocates every intermediate tensor of the
// forward and backward passes: 1,488 allocations in a ResNet-18 step, each
// a malloc and a free per step, first touches of fresh pages, and for the
// compiler a deallocation to place and simplify per buffer (a quadratic
// pass) and LLVM code to emit per buffer. The shapes are static and the
// step is straight-line code, so the lifetimes are known when compiling:
// here every such buffer becomes a view at a fixed offset of one workspace
// the caller allocates once and passes to every call.
//
//===----------------------------------------------------------------------===//

#include "ProgramDescription.h"
#include "fqt/Target/Passes.h"

#include "FQT/FQTAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/STLExtras.h"

namespace fqt {
#define GEN_PASS_DEF_FQTPLANWORKSPACE
#include "fqt/Target/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// The workspace's alignment, and that of every buffer in it: what the
/// bufferization's own allocations ask for (cache lines, AVX-512 vectors).
constexpr int64_t kAlignment = 64;

/// One allocation to place: its bytes and the positions (in the function's
/// block) of its first and last use.
struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes;
  unsigned begin, end;
  int64_t offset = 0;
};

/// The bytes of a buffer of TYPE, when it can live in the workspace: a
/// static shape, the identity layout, the default memory space and an
/// element of whole bytes (i4 codes are packed later, by their own pass).
std::optional<int64_t> placeableBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace())
    return std::nullopt;
  Type element = type.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  return type.getNumElements() * (element.getIntOrFloatBitWidth() / 8);
}

/// The position of OP's ancestor in BLOCK.
unsigned positionIn(Block &block, Operation *op,
                    const DenseMap<Operation *, unsigned> &positions) {
  return positions.lookup(block.findAncestorOpInBlock(*op));
}

/// The last position in BLOCK where ALLOC's buffer is used, through any
/// view of it; none when a use could let it outlive the call or reach
/// code that the positions do not order (a return, a store of the buffer
/// itself, a call that returns buffers, a region's terminator).
std::optional<unsigned>
lastUse(Block &block, memref::AllocOp alloc,
        const DenseMap<Operation *, unsigned> &positions) {
  unsigned last = positions.lookup(alloc);
  SmallVector<Value> aliases = {alloc.getResult()};
  while (!aliases.empty()) {
    Value value = aliases.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (user->hasTrait<OpTrait::IsTerminator>() ||
          isa<memref::DeallocOp>(user))
        return std::nullopt;
      if (auto store = dyn_cast<memref::StoreOp>(user))
        if (store.getValueToStore() == value)
          return std::nullopt;
      if (auto call = dyn_cast<CallOpInterface>(user))
        if (llvm::any_of(call->getResultTypes(), llvm::IsaPred<MemRefType>))
          return std::nullopt;
      // A tensor of the buffer (bufferization.to_tensor) has uses this walk
      // does not follow.
      if (llvm::any_of(user->getResultTypes(), llvm::IsaPred<TensorType>))
        return std::nullopt;
      last = std::max(last, positionIn(block, user, positions));
      // A view (subview, reshape, cast) is the same memory under another
      // name: its uses are the buffer's uses.
      for (Value result : user->getResults())
        if (isa<BaseMemRefType>(result.getType()))
          aliases.push_back(result);
    }
  }
  return last;
}

/// Offsets for BUFFERS so that two that are live at the same time never
/// overlap: the largest first, each at the lowest offset free over its
/// lifetime. Returns the workspace's size.
int64_t assignOffsets(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &buffer : buffers)
    order.push_back(&buffer);
  llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) {
    return a->bytes > b->bytes;
  });
  int64_t size = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *buffer : order) {
    SmallVector<std::pair<int64_t, int64_t>> taken;
    for (Buffer *other : placed)
      if (other->begin <= buffer->end && buffer->begin <= other->end)
        taken.push_back({other->offset, other->offset + other->bytes});
    llvm::sort(taken);
    int64_t offset = 0;
    for (auto [begin, end] : taken) {
      if (offset + buffer->bytes <= begin)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(end, kAlignment));
    }
    buffer->offset = offset;
    size = std::max(size, offset + buffer->bytes);
    placed.push_back(buffer);
  }
  return static_cast<int64_t>(llvm::alignTo(size, kAlignment));
}

struct FQTPlanWorkspacePass
    : fqt::impl::FQTPlanWorkspaceBase<FQTPlanWorkspacePass> {
  void runOnOperation() override {
    FailureOr<SmallVector<func::FuncOp>> steps =
        getStepFunctions(getOperation());
    if (failed(steps))
      return signalPassFailure();
    for (func::FuncOp fn : *steps)
      if (failed(plan(fn)))
        return signalPassFailure();
  }

  LogicalResult plan(func::FuncOp fn);
};

LogicalResult FQTPlanWorkspacePass::plan(func::FuncOp fn) {
  // Positions order the lifetimes only in straight-line code.
  if (!fn.getBody().hasOneBlock())
    return success();
  Block &block = fn.front();
  DenseMap<Operation *, unsigned> positions;
  for (auto [index, op] : llvm::enumerate(block))
    positions[&op] = index;

  SmallVector<Buffer> buffers;
  for (auto alloc : block.getOps<memref::AllocOp>()) {
    std::optional<int64_t> bytes = placeableBytes(alloc.getType());
    if (!bytes)
      continue;
    std::optional<unsigned> end = lastUse(block, alloc, positions);
    if (!end)
      continue;
    buffers.push_back({alloc,
                       static_cast<int64_t>(llvm::alignTo(*bytes, kAlignment)),
                       positions.lookup(alloc), *end});
  }
  if (buffers.empty())
    return success();
  int64_t size = assignOffsets(buffers);

  // The workspace is an argument: the last one before the out-parameters,
  // an argument-only kind, so the runtime's description still tells the
  // arguments from the results.
  FailureOr<unsigned> index = getNumOriginalArguments(fn);
  if (failed(index))
    return failure();
  MLIRContext *ctx = fn.getContext();
  auto type = MemRefType::get({size}, IntegerType::get(ctx, 8));
  if (failed(fn.insertArgument(
          *index, type, getSlotAttrs(ctx, SlotKind::workspace, "workspace"),
          fn.getLoc())))
    return failure();
  Value workspace = fn.getArgument(*index);

  for (Buffer &buffer : buffers) {
    OpBuilder b(buffer.alloc);
    Location loc = buffer.alloc.getLoc();
    Value offset = arith::ConstantIndexOp::create(b, loc, buffer.offset);
    Value view = memref::ViewOp::create(b, loc, buffer.alloc.getType(),
                                        workspace, offset, ValueRange{});
    buffer.alloc.replaceAllUsesWith(view);
    buffer.alloc.erase();
  }
  return success();
}

} // namespace
