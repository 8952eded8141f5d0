/** Finished out of total, as a bar with the numbers beside it. */
import { formatCount, formatShare } from '../format';

interface ProgressBarProps {
  done: number;
  total: number;
  label: string;
  testId?: string;
}

export function ProgressBar({ done, total, label, testId }: ProgressBarProps) {
  const share = total === 0 ? 0 : Math.min(done / total, 1);
  const text = `${formatCount(done)} of ${formatCount(total)}`;
  return (
    <div class="progress-line">
      <div
        class="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-valuetext={text}
        data-testid={testId}
      >
        <div class="progress-fill" style={{ width: `${share * 100}%` }} />
      </div>
      <span class="progress-text">
        {text} <span class="muted">({formatShare(total === 0 ? null : share)})</span>
      </span>
    </div>
  );
}
