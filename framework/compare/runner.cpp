#include "compare/runner.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "compare/child_process.hpp"
#include "compare/metrics_follower.hpp"
#include "compare/reuse.hpp"
#include "compare/run_reader.hpp"
#include "core/error.hpp"
#include "io/append_file.hpp"
#include "io/run_directory.hpp"
#include "io/run_lock.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

// The child's output, kept in RUN_DIR/train.log. The trainer creates RUN_DIR itself (and
// refuses one that exists), so output is held in memory until the directory appears; if the
// child fails before creating it, finish() creates it to keep the log.
class TrainLog {
public:
    TrainLog(std::string run_dir, bool append) : run_dir_(std::move(run_dir)), append_(append) {}

    void write(std::string_view text) {
        if (!file_) {
            pending_.append(text);
            std::error_code ec;
            if (fs::is_directory(run_dir_, ec)) open();
        } else if (file_ok_) {
            try {
                file_->write(text);
            } catch (const UserError&) {
                file_ok_ = false;  // a full disk: the run goes on, its log is incomplete
            }
        }
        // The error message is usually the last line the child printed.
        tail_.append(text);
        if (tail_.size() > 8192) tail_.erase(0, tail_.size() - 4096);
    }

    // Returns the log's path ("" if it could not be written).
    std::string finish() {
        if (!file_) {
            std::error_code ec;
            fs::create_directories(run_dir_, ec);
            open();
        }
        file_.reset();
        return file_ok_ ? path() : "";
    }

    // The child's own error message: its last "error:" line, else (with_last_line) its last line.
    std::string error_line(bool with_last_line) const {
        std::string last, last_error;
        std::size_t start = 0;
        while (start < tail_.size()) {
            auto nl = tail_.find('\n', start);
            if (nl == std::string::npos) nl = tail_.size();
            std::string line = tail_.substr(start, nl - start);
            start = nl + 1;
            if (const auto cr = line.rfind('\r'); cr != std::string::npos) line.erase(0, cr + 1);
            if (line.find_first_not_of(' ') == std::string::npos) continue;
            last = line;
            if (const auto at = line.find("error: "); at != std::string::npos) last_error = line.substr(at + 7);
        }
        return last_error.empty() && with_last_line ? last : last_error;
    }

private:
    std::string path() const { return run_dir_ + "/train.log"; }
    void open() {
        try {
            file_.emplace(path(), append_ ? AppendFile::Start::Append : AppendFile::Start::Truncate);
            file_ok_ = true;
            file_->write(pending_);
        } catch (const UserError&) {
            file_ok_ = false;  // not opened: the next write tries again; not written: lost
        }
        pending_.clear();
    }

    std::string run_dir_;
    bool append_;
    std::optional<AppendFile> file_;
    bool file_ok_ = false;
    std::string pending_;
    std::string tail_;
};

std::string number_text(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// "300 steps in 12.3 s, best val_loss 1.8321 (val_bpc 2.6432) at step 300"
std::string result_text(const RunNumbers& n) {
    std::string text;
    if (n.steps) text += number_text(*n.steps, 0) + " steps";
    if (n.wall_s) text += " in " + number_text(*n.wall_s, 1) + " s";
    if (n.best_val_loss) {
        text += ", best val_loss " + number_text(*n.best_val_loss, 4);
        if (n.best_val_bpc) text += " (val_bpc " + number_text(*n.best_val_bpc, 4) + ")";
        if (n.best_step) text += " at step " + number_text(*n.best_step, 0);
    }
    return text;
}

struct ChildRun {
    ChildExit exit;
    std::string log_path;
    std::string error_line;
};

ChildRun run_train_child(const std::string& program, const std::vector<std::string>& args,
                         const std::string& run_dir, bool append_log, ProgressLine& progress) {
    TrainLog log(run_dir, append_log);
    if (append_log) log.write("\n---- lrnn compare: resuming ----\n");
    ChildRun result;
    // The live line follows the run's metrics rows; the child's output only goes to its log.
    MetricsFollower metrics(run_dir + "/metrics.jsonl");
    const auto show_newest_row = [&] {
        if (const auto row = metrics.newest_row()) progress.metrics_row(*row);
    };
    {
        const ForwardStopSignals stop_signals_go_to_the_child;
        try {
            result.exit = run_child(
                program, args, [&](std::string_view text) { log.write(text); }, show_newest_row);
            show_newest_row();  // rows of a run shorter than one tick
        } catch (const UserError& e) {
            // Could not start it at all (the program is missing?): this run fails, the others may not.
            log.write(std::string("lrnn compare: error: ") + e.what() + "\n");
            result.exit = ChildExit{true, 127, 0};
        }
    }
    result.log_path = log.finish();
    // A killed child's last line is just progress; only an exit code comes with a message.
    result.error_line = log.error_line(result.exit.exited);
    return result;
}

// Removes compare/NAME/runs/VARIANT before training it afresh, but only a folder that holds
// nothing lrnn train did not make and that no lrnn train is using. Returns why it did not, or "".
std::string remove_earlier_attempt(const std::string& run_dir) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(run_dir, ec))) return "";
    const std::string keep = "; kept as it is: move it away to train this variant again";
    if (!fs::is_directory(fs::symlink_status(run_dir, ec))) return run_dir + " is not a run folder" + keep;
    if (const std::string foreign = foreign_entry(run_dir); !foreign.empty())
        return run_dir + " holds '" + foreign + "', which lrnn did not make" + keep;
    try {
        const RunLock in_use(run_dir);  // held while removing: no train can start on it meanwhile
        fs::remove_all(run_dir, ec);
    } catch (const UserError& e) {
        return e.what();
    }
    if (ec) return run_dir + ": cannot remove the earlier attempt (" + ec.message() + ")";
    return "";
}

}  // namespace

RunRecord read_run_record(const std::string& name, const std::string& run_dir, const std::string& source) {
    RunRecord record;
    record.name = name;
    record.run_dir = run_dir;
    record.source = source;
    const RunFiles files = read_run_files(run_dir);
    if (files.config) record.config = config_values(*files.config);
    record.metrics = files.metrics;
    record.numbers = run_numbers(files);
    record.stop_reason = stop_reason(files);
    record.sample = files.sample;
    record.status = files.summary ? RunStatus::Ok : RunStatus::Unfinished;
    if (!files.summary) record.error = "no summary.json: the run has not finished";
    std::error_code ec;
    if (fs::is_regular_file(run_dir + "/train.log", ec)) record.log_path = run_dir + "/train.log";
    return record;
}

ExecutedRun execute_run(const PlannedRun& run, const std::string& train_program, std::size_t index,
                        ProgressLine& progress) {
    ExecutedRun out;
    RunRecord& record = out.record;
    record.name = run.name;
    record.config = run.config;

    if (!run.train) {
        progress.start(index, run.name, "reading " + run.run_dir);
        try {
            record = read_run_record(run.name, run.run_dir, "read");
        } catch (const UserError& e) {
            record.status = RunStatus::Failed, record.error = e.what(), record.source = "read";
        }
        progress.finish(record.status == RunStatus::Ok ? "read: " + result_text(record.numbers)
                                                       : std::string(to_string(record.status)) + ": " + record.error);
        return out;
    }
    if (!run.config_error.empty()) {
        progress.start(index, run.name, "checking the config");
        record.source = "not run";
        record.status = RunStatus::Failed;
        record.error = "invalid config: " + run.config_error;
        progress.finish("FAILED: " + record.error);
        return out;
    }

    // An earlier run compare will not repair by deleting it: reported as failed, left as it is.
    const auto keep_failed = [&](const std::string& what, const std::string& reason) {
        progress.start(index, run.name, what);
        record.source = "reused";
        record.status = RunStatus::Failed;
        record.error = reason + "; kept as it is: repair it, or delete " + run.run_dir + " to train it again";
        progress.finish("FAILED: " + record.error);
        return out;
    };
    ReuseDecision decision = decide_reuse(run.run_dir, *run.expected);
    if (decision.action == ReuseAction::Keep) return keep_failed("checking the earlier run", decision.reason);
    if (decision.action == ReuseAction::Reuse) {
        progress.start(index, run.name, "reusing (" + decision.reason + ")");
        try {
            record = read_run_record(run.name, run.run_dir, "reused");
            if (record.status == RunStatus::Ok) {
                progress.finish("reused (" + decision.reason + "): " + result_text(record.numbers));
                return out;
            }
        } catch (const UserError& e) {
            record.status = RunStatus::Failed, record.error = e.what();
        }
        // A finished run that cannot be read is reported, not retrained: deleting hours of
        // training over one damaged line is not compare's call.
        return keep_failed("reusing", "finished earlier but unreadable (" + record.error + ")");
    }

    ChildRun child;
    record.source = "trained";
    if (decision.action == ReuseAction::Resume) {
        progress.start(index, run.name, decision.reason);
        child = run_train_child(train_program, {"train", "--resume", run.run_dir}, run.run_dir, true, progress);
        record.source = "resumed";
        // A resume refused (a corpus moved away, the run trained by someone else, every
        // checkpoint damaged) keeps the run: its checkpoints may be all that is left of hours.
        // The error line names the cause; the user decides.
    }
    if (decision.action == ReuseAction::Fresh) {
        progress.start(index, run.name, decision.reason == "new" ? std::string("training") : decision.reason);
        if (const std::string refused = remove_earlier_attempt(run.run_dir); !refused.empty()) {
            record.status = RunStatus::Failed;
            record.error = refused;
            progress.finish("FAILED: " + record.error);
            return out;
        }
        std::vector<std::string> args{"train", run.config_path};
        args.insert(args.end(), run.overrides.begin(), run.overrides.end());
        child = run_train_child(train_program, args, run.run_dir, false, progress);
        record.source = "trained";
    }

    record.run_dir = run.run_dir;
    record.log_path = child.log_path;
    if (has_metrics(run.run_dir)) {
        try {
            const std::string source = record.source, log = record.log_path;
            record = read_run_record(run.name, run.run_dir, source);
            record.log_path = log;
        } catch (const UserError& e) {
            record.error = e.what();
            record.status = RunStatus::Failed;
        }
    }
    if (record.config.empty()) record.config = run.config;
    out.interrupted = child.exit.interrupted();
    if (out.interrupted) {
        record.status = RunStatus::Unfinished;
        record.error = "interrupted (" + child.exit.describe() + "); run the compare again to resume it";
        progress.finish("interrupted: " + record.error);
    } else if (!child.exit.ok() || record.status != RunStatus::Ok) {
        if (child.exit.ok() && !record.error.empty()) {
            // exited 0 but left no summary: keep the reader's message
        } else {
            record.error = child.exit.describe() + (child.error_line.empty() ? "" : ": " + child.error_line);
        }
        record.status = RunStatus::Failed;
        progress.finish("FAILED (" + record.error + ")" + (record.log_path.empty() ? "" : ", log: " + record.log_path));
    } else {
        progress.finish("done: " + result_text(record.numbers));
    }
    return out;
}

}  // namespace lrnn
