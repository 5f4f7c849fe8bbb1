export {
  createLiveQuery,
  disposeLiveLists,
  liveListsOf,
  refetchLiveLists,
} from './createLiveQuery.js'
export {
  LiveLists,
  isNetworkError,
  type LiveListContext,
  type LiveListOptions,
  type ListEntry,
} from './LiveLists.js'
export { LiveList, type ListStore, type ListView } from './LiveList.js'
export { PageWindow } from './PageWindow.js'
export { SortedView } from './SortedView.js'
export { createLocalLiveQuery, type LocalViewStore } from './createLocalLiveQuery.js'
export { SortedRun, type Comparator } from './SortedRun.js'
export { compileViewComparator, compileGetter } from './compileViewComparator.js'
