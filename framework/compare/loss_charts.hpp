#pragma once
// The four charts of a comparison: training and validation loss against step and against
// wall-clock seconds, one line per run that has metrics, each run in its palette colour
// (dashed: the run failed or did not finish).

#include <string>
#include <vector>

#include "compare/run_record.hpp"
#include "compare/svg_chart.hpp"

namespace lrnn {

struct NamedChart {
    std::string file;  // "train_loss_vs_step.svg", ...
    LineChart chart;
};

std::vector<NamedChart> loss_charts(const std::vector<RunRecord>& runs);

}  // namespace lrnn
