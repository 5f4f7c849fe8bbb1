import type { Id, Item, ListQuery, Operation } from '../protocol/index.js'
import type { ClientCore } from './ClientCore.js'
import { createLiveQuery } from './liveList/index.js'
import type { LiveQueryContext } from './LiveQueryContext.js'
import type {
  CollectionHandle as CollectionHandleApi,
  ItemState,
  LiveQuery,
  StoreChange,
  WriteOptions,
} from './types.js'

/** One collection's operations, store and live queries; a thin view over the client core. */
export class CollectionHandle<T extends Item = Item> implements CollectionHandleApi<T> {
  private context: LiveQueryContext<T> | undefined

  constructor(
    readonly name: string,
    private readonly core: ClientCore,
  ) {}

  getItem(id: Id, timeout?: number): Promise<T | undefined> {
    return this.core.getItem<T>(id, this.name, timeout)
  }

  getItems(query: ListQuery = {}): Promise<T[]> {
    return this.core.getItems<T>(query, this.name)
  }

  postItem(item: Partial<T> & Record<string, unknown>, options?: WriteOptions): Promise<T> {
    return this.core.postItem<T>(item, this.name, options)
  }

  putItem(item: T | (Partial<T> & { id: Id }), options?: WriteOptions): Promise<T> {
    return this.core.putItem<T>(item as Record<string, unknown> & { id: Id }, this.name, options)
  }

  patchItem(patch: (Partial<T> & { id: Id }) | Operation[], options?: WriteOptions): Promise<T> {
    return this.core.patchItem<T>(
      patch as (Record<string, unknown> & { id: Id }) | Operation[],
      this.name,
      options,
    )
  }

  deleteItem(id: Id, options?: WriteOptions): Promise<boolean> {
    return this.core.deleteItem(id, this.name, options)
  }

  peek(id: Id): T | undefined {
    return this.core.stores.get<T>(this.name).peek(id)
  }

  getItemState(id: Id): ItemState<T> {
    return this.core.stores.get<T>(this.name).getItemState(id)
  }

  subscribeItem(id: Id, listener: () => void): () => void {
    return this.core.observe(this.name, () =>
      this.core.stores.get<T>(this.name).subscribeItem(id, listener),
    )
  }

  subscribe(listener: (changes: StoreChange<T>[]) => void): () => void {
    return this.core.observe(this.name, () =>
      this.core.stores.get<T>(this.name).subscribe(listener),
    )
  }

  query(query: ListQuery = {}): LiveQuery<T> {
    this.context ??= this.core.liveQueryContext<T>(this.name, true)
    return createLiveQuery<T>(this.context, query)
  }
}
