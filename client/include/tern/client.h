// tern::Client, the C++ smart client of Tern's gRPC API (libternclient). It learns the
// partition map from the seed nodes, sends each request to the node that masters the key's
// partition (or a replica, for reads that ask), keeps one connection (gRPC channel) per node,
// and on a moved partition or a lost node refreshes the map and retries.
//
//   auto client = tern::Client::Connect({.seeds = {"127.0.0.1:3100"}});
//   if (!client.ok()) { /* client.status().ToString() */ }
//   tern::Key key("test", "demo", "k1");
//   (*client)->Put(key, {{"name", "ada"}, {"age", 36}});
//   tern::Result<tern::Record> r = (*client)->Get(key);
//
// Thread-safe: one Client serves every thread. Calls are synchronous; the *Async variants
// return at once and run the callback on a client thread when the answer arrives.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tern/key.h"
#include "tern/policy.h"
#include "tern/query.h"
#include "tern/record.h"
#include "tern/status.h"
#include "tern/value.h"

namespace tern {

struct ClientConfig {
  std::vector<std::string> seeds;  // "host:port" of the gRPC API (port 3100)
  std::chrono::milliseconds connect_timeout{3000};
  ReadPolicy read;    // defaults for reads
  WritePolicy write;  // defaults for writes
};

// A registered UDF module (Lua source).
struct UdfModule {
  std::string filename;  // "mod.lua"
  std::string name;      // "mod": what ApplyUdf names
  std::string hash;      // SHA-1 of the source, hex
};

// The answer to one SQL statement (docs/sql.md): a table, and what the statement did.
struct SqlResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;  // one value per column (null when absent)
  uint64_t affected = 0;                 // records written or deleted
  std::string message;                   // "1 record inserted", "2 rows", ...
  std::string plan;                      // EXPLAIN's plan line
  uint64_t job_id = 0;                   // EXECUTE without a key: its background job
};

// A secondary index (docs/indexes.md). The enums' values are the gRPC API's.
struct IndexInfo {
  enum class Type { kNumeric = 0, kString = 1, kBlob = 2, kGeo2dSphere = 3 };
  enum class Collection { kDefault = 0, kList = 1, kMapKeys = 2, kMapValues = 3 };
  std::string ns;
  std::string set;  // empty = every set of the namespace
  std::string name;
  std::string bin;
  Type type = Type::kNumeric;
  Collection collection = Collection::kDefault;  // kList: the elements of a list bin, ...
  uint32_t load_pct = 0;  // ListIndexes: the answering node's build progress (100 = built)
  uint64_t entries = 0;   // ListIndexes: its entries on that node
};

// One node as the partition map names it.
struct NodeInfo {
  std::string name;
  std::string grpc_address;
  std::string service_address;  // Aerospike wire protocol
};

class Client {
 public:
  // Fetches the partition map from the first seed that answers.
  static Result<std::unique_ptr<Client>> Connect(ClientConfig config);
  ~Client();

  Result<Record> Get(const Key& key, const std::vector<std::string>& bins = {},
                     const ReadPolicy* policy = nullptr);
  Result<WriteResult> Put(const Key& key, const std::vector<Bin>& bins,
                          const WritePolicy* policy = nullptr);
  // True when a record was deleted, false when there was none.
  Result<bool> Delete(const Key& key, const WritePolicy* policy = nullptr);
  Result<bool> Exists(const Key& key, const ReadPolicy* policy = nullptr);
  Result<WriteResult> Touch(const Key& key, const WritePolicy* policy = nullptr);
  Result<Record> Operate(const Key& key, const std::vector<Operation>& ops,
                         const WritePolicy* policy = nullptr);
  // One row per key, in order; keys are grouped by node, one request per node.
  Result<std::vector<BatchRecord>> BatchGet(const std::vector<Key>& keys,
                                            const std::vector<std::string>& bins = {},
                                            const ReadPolicy* policy = nullptr);
  // Operations on many records, one row per BatchOperation in order (result code, and the
  // bins the read operations asked for). Rows are grouped by master node, as BatchGet's.
  Result<std::vector<BatchRecord>> BatchOperate(const std::vector<BatchOperation>& rows,
                                                const WritePolicy* policy = nullptr);

  // Runs the record UDF module.function(record, args...) on the key's master and returns
  // what it returned (null for nil). A failing function is result code 100
  // (result::kUdfError) with the Lua message.
  Result<Value> ApplyUdf(const Key& key, const std::string& module, const std::string& function,
                         const std::vector<Value>& args = {}, const WritePolicy* policy = nullptr);

  // UDF modules. Each call goes to one node (the next if it is unreachable), which shares the
  // change with every node of the cluster before it answers. RegisterUdf returns the source's
  // hash; a source that does not compile is result code 100 with "file:line: message".
  Result<std::string> RegisterUdf(const std::string& filename, const std::string& source);
  // Reads the file at `path` and registers it under its base name ("dir/mod.lua" → "mod.lua").
  // An unreadable file is result::kInvalidArgument.
  Result<std::string> RegisterUdfFile(const std::string& path);
  Result<std::vector<UdfModule>> ListUdfs();
  // True when the module was registered, false when there was none.
  Result<bool> RemoveUdf(const std::string& filename);

  // Secondary indexes, cluster-wide: one node takes the change and shares it. Each node builds
  // the index in the background (ListIndexes shows load_pct). Creating an index that exists
  // with another definition is result code 200, dropping one that doesn't exist 201.
  Status CreateIndex(const IndexInfo& index);
  Status DropIndex(const std::string& ns, const std::string& name);
  Result<std::vector<IndexInfo>> ListIndexes(const std::string& ns = "");

  // Streams every record of the scan to `fn` (return false to stop). Partitions are scanned
  // on their master nodes; a broken stream resumes from the last record received. On return
  // `cursor` (when given) says what is left, so a later call can resume with spec.resume.
  Status Scan(const ScanSpec& spec, const std::function<bool(const Record&)>& fn,
              ScanCursor* cursor = nullptr);
  // Streams the records a secondary-index query matches to `fn`, exactly as Scan does
  // (partitions on their masters, resumable through `cursor` and spec.resume). No index is
  // result code 201, a bad range 4, bad GeoJSON 160.
  Status Query(const QuerySpec& spec, const std::function<bool(const Record&)>& fn,
               ScanCursor* cursor = nullptr);

  // Info commands on one node (empty `node_address` = any node); empty `commands` asks for
  // the summary. Answers as the info protocol gives them.
  Result<std::map<std::string, std::string>> Info(const std::vector<std::string>& commands,
                                                  const std::string& node_address = "");

  // Runs one statement of the SQL-like language on one node (empty `node_address` = any node),
  // which executes it over the whole cluster. REGISTER MODULE is not sent: use RegisterUdf.
  Result<SqlResult> Sql(const std::string& statement, const std::string& node_address = "");

  void GetAsync(const Key& key, std::vector<std::string> bins, const ReadPolicy* policy,
                std::function<void(Result<Record>)> done);
  void PutAsync(const Key& key, std::vector<Bin> bins, const WritePolicy* policy,
                std::function<void(Result<WriteResult>)> done);
  void OperateAsync(const Key& key, std::vector<Operation> ops, const WritePolicy* policy,
                    std::function<void(Result<Record>)> done);
  void DeleteAsync(const Key& key, const WritePolicy* policy,
                   std::function<void(Result<bool>)> done);
  // The batch calls' async forms: the node requests go out at once, `done` runs once when
  // every row has its answer (or the batch failed as a whole).
  void BatchGetAsync(std::vector<Key> keys, std::vector<std::string> bins, const ReadPolicy* policy,
                     std::function<void(Result<std::vector<BatchRecord>>)> done);
  void BatchOperateAsync(std::vector<BatchOperation> rows, const WritePolicy* policy,
                         std::function<void(Result<std::vector<BatchRecord>>)> done);

  // The nodes of the current map, and a fresh fetch of it.
  std::vector<NodeInfo> Nodes() const;
  Status RefreshPartitionMap();
  // Where a key's requests go now (its partition's master, or a replica).
  std::string NodeFor(const Key& key, Replica replica = Replica::kMaster) const;

  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern
